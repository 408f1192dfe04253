#!/usr/bin/env bash
# One run of the N-replica stack (deploy/stack.yaml) on a REAL single-node Docker Swarm: a
# rolling update from a base image to a head image with 3 replicas while a client reads an
# item through the API. Prints the failed requests (goal 0), the time each phase took, and
# checks that every replica serves the head's schema at the end.
#
#   flock /tmp/trm-heavy.lock bash .ci/dev/swarm-rolling-update.sh
#
# The images (nothing is pulled; no registry on a single node):
#   head  this repository's Dockerfile, built with `docker build` (TRM_SWARM_HEAD_IMAGE: one
#         you built already)
#   base  head with the snapshot WITHOUT one field (addresses.label): the image before a PR
#         that adds a field and changes only the snapshot. (Built this way round, the head's
#         snapshot is the repository's own, which converges; a field copied by hand into a
#         snapshot may not: "[schema] ERROR: the snapshot does not converge".)
#   trm-ci/postgres:15 and trm-ci/redis:7 (.ci/images/*/build.sh: Debian packages, as CI
#   builds its Postgres image) stand in for postgres:16-alpine and redis:7-alpine.
# The stack file is used as it is, except: the uploads volume is a local one (no NFS server
# here: one node), no published port (the client runs on the stack's network, which is made
# attachable), and the images above. Where the kernel has no IPVS (this CI machine: dockerd
# logs "Could not get ipvs family information from the kernel ... Native loadbalancing will
# not work"), a service's virtual IP and the ingress routing mesh do not answer ("No route to
# host"), while the overlay network itself works: every service then gets
# `endpoint_mode: dnsrr` (its name resolves to its tasks' addresses) and the client opens a
# new connection, with a new lookup, for every request. TRM_SWARM_ENDPOINT_MODE=vip|dnsrr
# overrides the choice.
#
# It changes the engine (swarm mode): run it under the machine's heavy lock; it always ends
# with `docker swarm leave --force` (also on failure or Ctrl-C).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
stack=trmswarm
replicas=3
head=${TRM_SWARM_HEAD_IMAGE:-trm-directus:swarm-head}
base=trm-directus:swarm-base
work=$(mktemp -d)
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
log() { printf '[swarm] %s\n' "$*"; }
die() { printf '[swarm] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
  set +e
  docker rm -f "$stack-client" >/dev/null 2>&1
  docker stack rm "$stack" >/dev/null 2>&1
  for _ in $(seq 1 60); do
    [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")" ] && break
    sleep 1
  done
  docker swarm leave --force >/dev/null 2>&1
  docker volume rm "${stack}_pgdata" "${stack}_uploads" >/dev/null 2>&1
  docker network rm docker_gwbridge >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- images --------------------------------------------------------------------------
t0=$(now)
bash "$repo/.ci/images/postgres/build.sh"
bash "$repo/.ci/images/redis/build.sh"
if [ -z "${TRM_SWARM_HEAD_IMAGE:-}" ]; then
  DOCKER_BUILDKIT=0 docker build -q -t "$head" "$repo" >/dev/null
fi
python3 - "$repo/snapshots/snapshot.yaml" "$work/snapshot.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
item = "  - collection: addresses\n    field: label\n"
start = s.index(item)
end = s.index("\n  - collection: ", start + len(item)) + 1
open(sys.argv[2], "w").write(s[:start] + s[end:])
PY
printf 'FROM %s\nCOPY --chown=node:node snapshot.yaml /directus/snapshots/snapshot.yaml\n' "$head" >"$work/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$base" "$work" >/dev/null
log "images: base $base (without addresses.label), head $head, postgres, redis ready in $(since "$t0")s"

# --- the stack file, for one node ------------------------------------------------------
sed -e '/^  uploads:$/,$d' -e '/^    ports:$/,/^      - "8055:8055"$/d' "$repo/deploy/stack.yaml" >"$work/stack.yaml"
printf '  uploads:\nnetworks:\n  default:\n    driver: overlay\n    attachable: true\n' >>"$work/stack.yaml"
export DB_PASSWORD=$token-db KEY=$token-key SECRET=$token-secret ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=$token-admin
export POSTGRES_IMAGE=trm-ci/postgres:15 REDIS_IMAGE=trm-ci/redis:7 NFS_SERVER=unused

docker swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed"
log "swarm: $(docker info -f '{{.Swarm.LocalNodeState}}'), node $(docker info -f '{{.Swarm.NodeID}}')"
endpoint_mode=${TRM_SWARM_ENDPOINT_MODE:-}
if [ -z "$endpoint_mode" ]; then
  if [ -e /proc/net/ip_vs ]; then endpoint_mode=vip; else endpoint_mode=dnsrr; fi
fi
if [ "$endpoint_mode" = dnsrr ]; then
  log "no IPVS in this kernel (/proc/net/ip_vs absent): service VIPs and the ingress mesh do not answer; every service uses endpoint_mode: dnsrr"
  python3 - "$work/stack.yaml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
out = []
for l in lines:
    out.append(l)
    if l == "    deploy:":
        out.append("      endpoint_mode: dnsrr")
open(p, "w").write("\n".join(out))
PY
fi

healthy() { docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_directus" --filter health=healthy | wc -l; }
wait_healthy() { # wait_healthy N SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(healthy)" -ge "$1" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { docker service ps --no-trunc "${stack}_directus" >&2; die "not $1 healthy replicas within $2 s"; }
    sleep 1
  done
}
# Every directus task's log (`docker service logs` can hang on this engine once tasks were removed).
service_logs() {
  local c
  for c in $(docker ps -aq --filter "label=com.docker.swarm.service.name=${stack}_directus"); do
    docker logs "$c" 2>&1
  done
}
pg() { docker exec "$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_postgres" | head -n1)" \
  psql -X -q -At -U directus -d directus -c "$1"; }

# --- deploy the base: 3 replicas at once on an empty database -------------------------------
t0=$(now)
IMAGE=$base docker stack deploy --resolve-image never -c "$work/stack.yaml" "$stack" >/dev/null
wait_healthy "$replicas" 600
log "deploy base: $replicas replicas healthy $(since "$t0")s after docker stack deploy (cold, one database)"
log "  admins: $(pg "SELECT count(*) FROM directus_users"), ledger rows: $(pg "SELECT count(*) FROM trm_db_init.ledger"), schema history: $(pg "SELECT string_agg(revision || ' ' || result, '; ') FROM trm_db_init.schema_history")"

# an item to read, and a static token to read it with
pg "INSERT INTO countries (code, name) VALUES ('DE', 'Germany')" >/dev/null
pg "UPDATE directus_users SET token = '$token' WHERE email = 'admin@example.com'" >/dev/null

# --- the client: reads the item through the service's virtual IP every 100 ms ----------------
cat >"$work/client.mjs" <<'JS'
// One GET every 100 ms, each on a new connection (agent: false) with a new DNS lookup, so a
// replica that has left the service (VIP or DNS round robin) is not held on to by keep-alive.
import http from 'node:http';
const path = '/items/countries?filter[code][_eq]=DE&fields=code,name';
const token = process.env.TOKEN;
let ok = 0, failed = 0;
const reasons = {};
const report = () => console.log(JSON.stringify({ ok, failed, reasons }));
process.on('SIGTERM', () => { report(); process.exit(0); });
setInterval(report, 10000);
const get = () => new Promise((resolve) => {
  const req = http.get({ host: 'directus', port: 8055, path, agent: false, timeout: 5000,
    headers: { Authorization: `Bearer ${token}` } }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve(res.statusCode === 200 && body.includes('"Germany"') ? null : `HTTP ${res.statusCode}`));
    res.on('error', (e) => resolve(String(e.code ?? e.name)));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e) => resolve(String(e.code ?? e.name)));
});
for (;;) {
  const t = Date.now();
  const why = await get();
  if (why === null) ok++;
  else { failed++; reasons[why] = (reasons[why] ?? 0) + 1; }
  await new Promise((res) => setTimeout(res, Math.max(0, 100 - (Date.now() - t))));
}
JS
docker run -d --name "$stack-client" --network "${stack}_default" -e TOKEN="$token" -v "$work/client.mjs:/tmp/client.mjs:ro" \
  --entrypoint node "$base" /tmp/client.mjs >/dev/null
sleep 5
log "client: $(docker logs "$stack-client" 2>&1 | tail -n1)"

# --- the rolling update: base -> head, one replica at a time (start-first) ------------------
t0=$(now)
IMAGE=$head docker stack deploy --resolve-image never -c "$work/stack.yaml" "$stack" >/dev/null
deadline=$((SECONDS + 900))
state=""
until [ "$state" = completed ] || [ "$state" = rollback_completed ] || [ "$state" = paused ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "the update did not finish within 900 s (state ${state:-none})"
  sleep 2
  state=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "${stack}_directus")
done
log "rolling update: $state $(since "$t0")s after docker stack deploy"
if [ "$state" != completed ]; then
  log "update status: $(docker service inspect -f '{{.UpdateStatus.Message}}' "${stack}_directus")"
  docker service ps --no-trunc "${stack}_directus" >&2
  service_logs | grep -E 'ERROR|kept newer|\[schema\] applied' | sort | uniq -c >&2 || true
fi
sleep 5
docker kill -s TERM "$stack-client" >/dev/null
sleep 1
counts=$(docker logs "$stack-client" 2>&1 | tail -n1)
log "client during the update: $counts"

# --- every replica on the head's schema --------------------------------------------------
images=$(docker service ps "${stack}_directus" --filter desired-state=running --format '{{.Image}}' | sort | uniq -c | tr -s ' ')
log "running tasks: $images"
ok=0
for c in $(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_directus"); do
  if docker exec "$c" wget -Y off -qO- --header "Authorization: Bearer $token" http://127.0.0.1:8055/fields/addresses/label 2>/dev/null \
    | grep -q '"field":"label"'; then
    ok=$((ok + 1))
  else
    log "replica $c does not serve addresses.label"
  fi
done
log "replicas serving the head's field addresses.label: $ok of $replicas (column: $(pg "SELECT count(*) FROM information_schema.columns WHERE table_name = 'addresses' AND column_name = 'label'"))"
log "schema history: $(pg "SELECT string_agg(revision || ' ' || result, '; ' ORDER BY id) FROM trm_db_init.schema_history")"
log "kept-newer lines (a base replica restarted after the head's snapshot): $(service_logs | grep -c 'kept newer' || true)"
last=$(pg "SELECT revision FROM trm_db_init.schema_history ORDER BY id DESC LIMIT 1")
[ "$last" = "$head" ] || die "the schema in force is revision $last, not the head's ($head)"
if [ "$state" != completed ] || [ "$ok" -ne "$replicas" ]; then
  die "the rolling update did not end with $replicas replicas on the head's schema"
fi
failed=$(printf '%s' "$counts" | sed -n 's/.*"failed":\([0-9]*\).*/\1/p')
log "RESULT: rolling update completed, $replicas/$replicas replicas on the head's schema, ${failed:-?} failed requests"
