#!/usr/bin/env bash
# Usage: scripts/with-replica.sh CMD [ARG...]
#
# scripts/with-postgis.sh with a streaming replica of the throwaway primary: exports CIVMAP_TEST_DATABASE_URL (primary)
# and CIVMAP_TEST_REPLICA_URL (hot standby, pg_basebackup -R), runs CMD, stops and removes both.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CIVMAP_WITH_REPLICA=1 exec bash "$here/with-postgis.sh" "$@"
