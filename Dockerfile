# The team's Directus image: upstream Directus at an exact pin, plus the boot sequence
# db-init -> bootstrap + schema apply -> start (entrypoint.sh). A version bump changes
# the FROM line and snapshots/snapshot.yaml (its `directus:` field equals the pin).
FROM directus/directus:11.17.4

# 1. The tools the boot scripts need (psql for db-init). Root only for this step.
USER root
RUN apk add --no-cache postgresql16-client bash coreutils
USER node

# Metadata first: it never changes, and placed after the COPYs it would be re-run
# (as new layers) by every snapshot-only rebuild.
# /server/ping answers "pong" before auth once the API listens. 127.0.0.1 rather than
# localhost: busybox wget may try ::1 first, and Directus listens on IPv4 0.0.0.0.
HEALTHCHECK --interval=5s --timeout=3s --start-period=120s --retries=3 \
  CMD wget -qO- "http://127.0.0.1:${PORT:-8055}/server/ping" || exit 1

ENTRYPOINT ["/directus/entrypoint.sh"]

# 2-6. Least to most volatile, so a new migration or snapshot rebuilds only the tail.
COPY --chown=node:node scripts/ /directus/scripts/
COPY --chown=node:node entrypoint.sh /directus/entrypoint.sh
COPY --chown=node:node db-init/ /directus/db-init/
COPY --chown=node:node snapshots/ /directus/snapshots/
COPY --chown=node:node extensions/ /directus/extensions/
