#!/usr/bin/env bash
# Usage: scripts/browser-test.sh
#
# Browser tests of the map client and its editor (web/test/*.test.mjs) against a real civmap server:
#   1. builds the client (npm ci when node_modules is out of date, npm run build when a source is newer than the build),
#   2. builds civmap with the client embedded (bin/civmap),
#   3. starts `civmap serve` on a free loopback port with a throwaway data folder (the bundled Xiangshan sample), after
#      making an editor, a reviewer, an inspector and a planner token in that folder for the editor, field-view and
#      coverage tests (CIVMAP_EDITOR_TOKEN, CIVMAP_REVIEWER_TOKEN, CIVMAP_INSPECTOR_TOKEN, CIVMAP_PLANNER_TOKEN),
#   4. waits for /readyz, then runs `npm test` in web/ with CIVMAP_URL set and Debian chromium (scripts/ensure-chromium.sh),
#   5. stops the server, whatever happened.
# Needs Node.js and npm; installs chromium and a CJK font (for readable labels and screenshots) when missing.
# The screenshots are left in web/test-results/ (map.png, facility.png, editor-*.png), the server log in web/test-results/civmap.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
web=$root/web
results=$web/test-results

for tool in node npm go; do
  if ! command -v "$tool" >/dev/null; then
    echo "browser-test: $tool not found; the browser tests need Node.js 20+, npm and Go" >&2
    exit 1
  fi
done

# 1. The client. npm ci only when the lock file changed since the last install (npm ci deletes node_modules first).
if [[ ! -f $web/node_modules/.package-lock.json || $web/package-lock.json -nt $web/node_modules/.package-lock.json ]]; then
  (cd "$web" && npm ci --no-audit --no-fund)
fi
stale=$(find "$web/index.html" "$web/src" "$web/vite.config.js" "$web/package-lock.json" "$web/dist-placeholder.md" \
  -newer "$web/dist/index.html" -print -quit 2>/dev/null || echo missing)
if [[ ! -f $web/dist/index.html || -n $stale ]]; then
  (cd "$web" && npm run build)
fi

# 2. civmap, with the client embedded.
go build -o bin/civmap ./cmd/civmap

# Chinese labels are drawn from the machine's fonts (the style has no glyphs); without a CJK font they are empty boxes.
if command -v fc-list >/dev/null && [[ -z $(fc-list :lang=zh family 2>/dev/null) ]]; then
  bash scripts/apt-install.sh fonts-wqy-microhei || echo "browser-test: no CJK font; labels in screenshots will be boxes" >&2
fi

# 3. A server on a free port with a throwaway store.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
tmp=$(mktemp -d)
mkdir -p "$results"
url=http://127.0.0.1:$port
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Tokens for the editor tests (web/test/editor.test.mjs), made before the first serve: `civmap token` works on a fresh
# store. The editor tests need both; without them they fail, they never skip.
editor_token=$(./bin/civmap token create --data-dir "$tmp/var" --name 测试编辑员 --role editor | tail -n 1)
reviewer_token=$(./bin/civmap token create --data-dir "$tmp/var" --name 测试审核员 --role reviewer | tail -n 1)
inspector_token=$(./bin/civmap token create --data-dir "$tmp/var" --name 测试联检员 --role inspector | tail -n 1)
# and a planner's for the coverage dashboard (web/test/coverage.test.mjs: posted sites and siting)
planner_token=$(./bin/civmap token create --data-dir "$tmp/var" --name 测试规划员 --role planner | tail -n 1)
if [[ -z $editor_token || -z $reviewer_token || -z $inspector_token || -z $planner_token ]]; then
  echo "browser-test: civmap token create printed no token" >&2
  exit 1
fi

./bin/civmap serve --addr "127.0.0.1:$port" --data-dir "$tmp/var" >"$results/civmap.log" 2>&1 &
server_pid=$!

# 4. Wait for the store (the sample loads at first start), then run the test.
ready=
for _ in $(seq 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "browser-test: civmap exited before it was ready; its log:" >&2
    cat "$results/civmap.log" >&2
    exit 1
  fi
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz" || true) == 200 ]]; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ -z $ready ]]; then
  echo "browser-test: civmap not ready at $url/readyz after 60 s; its log:" >&2
  cat "$results/civmap.log" >&2
  exit 1
fi
echo "browser-test: civmap ready at $url"

# The page and the style must be there before a browser is worth starting; say which is missing.
page_type=$(curl -s -o /dev/null -w '%{content_type}' "$url/" || true)
style_code=$(curl -s -o /dev/null -w '%{http_code}' "$url/tiles/style.json" || true)
if [[ $page_type != text/html* ]]; then
  echo "browser-test: $url/ answers '$page_type', not the map page: civmap does not serve web.Handler() at / (cmd/civmap routes)" >&2
fi
if [[ $style_code != 200 ]]; then
  echo "browser-test: $url/tiles/style.json answers HTTP $style_code: civmap does not serve the tiles endpoints yet" >&2
fi

status=0
(cd "$web" && CIVMAP_URL=$url CIVMAP_EDITOR_TOKEN=$editor_token CIVMAP_REVIEWER_TOKEN=$reviewer_token \
  CIVMAP_INSPECTOR_TOKEN=$inspector_token CIVMAP_PLANNER_TOKEN=$planner_token \
  bash "$root/scripts/ensure-chromium.sh" npm test) || status=$?
if [[ $status -ne 0 ]]; then
  echo "browser-test: FAILED (server log: web/test-results/civmap.log, screenshots: web/test-results/)" >&2
fi
exit "$status"
