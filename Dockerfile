# The team's Directus image: upstream Directus at an exact pin, plus the boot sequence
# db-init -> bootstrap + schema apply -> db-post -> start (entrypoint.sh). A version
# bump changes the FROM line and snapshots/snapshot.yaml (its `directus:` field equals
# the pin).
FROM directus/directus:11.17.4

# 1. The tools the boot scripts need (psql for db-init and db-post; tini as PID 1).
#    Root only for this step.
USER root
RUN apk add --no-cache postgresql16-client bash coreutils tini
USER node

# Metadata first: it never changes, and placed after the COPYs it would be re-run
# (as new layers) by every snapshot-only rebuild.
# /server/ping answers "pong" before auth once the API listens. 127.0.0.1 rather than
# localhost: busybox wget may try ::1 first, and Directus listens on IPv4 0.0.0.0.
# `-Y off`: never through a proxy. Deployers set http_proxy for Directus's outgoing
# requests; busybox wget would send the probe there (it ignores no_proxy). Both busybox
# and GNU wget accept `-Y off`.
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
  CMD wget -Y off -qO- "http://127.0.0.1:${PORT:-8055}/server/ping" || exit 1

# tini as PID 1: it forwards docker stop's SIGTERM, reaps zombies and passes the exit
# status on. Directus as PID 1 would log "Bye bye!" and keep running until SIGKILL
# (the kernel ignores its re-raised SIGTERM there).
ENTRYPOINT ["/sbin/tini", "--", "/directus/entrypoint.sh"]

# 2-7. Least to most volatile, so a new migration or snapshot rebuilds only the tail.
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node db-post/ /directus/db-post/
COPY --chown=node:node extensions/ /directus/extensions/
