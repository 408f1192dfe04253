# syntax=docker/dockerfile:1.7
# escape=`
ARG PIN=11.17.4
FROM directus/directus:${PIN}@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS base
USER root
# trm-ci: ignore=dockerfile/apk-no-cache the cache is wiped below
RUN apk add curl `
    jq && `
    rm -rf /var/cache/apk/*
COPY --chown=node:node --chmod=0755 scripts/ /directus/scripts/
COPY <<EOT /directus/hello.txt
hello
EOT
RUN <<-SCRIPT bash
	set -euo pipefail
	echo hi
SCRIPT
ENV A=1 B="two words" C=three\ words
EXPOSE 8055/tcp
HEALTHCHECK --interval=10s --timeout=3s CMD wget -qO- http://127.0.0.1:8055/server/ping || exit 1
ONBUILD RUN echo nope
USER node
ENTRYPOINT ["/directus/entrypoint.sh"]
CMD
