#!/usr/bin/env bash
# Step 3 of the boot sequence: the SQL migrations in db-post/, applied AFTER the schema
# step, so they can alter, index and trigger the tables the snapshot creates (db-init
# runs before those tables exist on a fresh database).
#
# The same runner as db-init (scripts/apply-db-init.sh): the same ledger table
# (rows `db-post/<file>`), advisory lock, checksums and one transaction per file.
#
# Output: `[db-post] applying <file>`, then `[db-post] N applied, M skipped`; on failure
# `[db-post] ERROR: <file>: <reason>` and exit 1.
# Directory: TRM_DB_POST_DIR (default $TRM_DIRECTUS_DIR/db-post, i.e. /directus/db-post).
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/apply-db-init.sh" db-post
