#!/usr/bin/env bash
# The flagship demo in one command: installs what is missing, builds the
# certctl-compatible target and the bulk-renewal load test, starts the target
# on 127.0.0.1, runs the test against it, prints the k6-style summary, stops
# the target. Results go to results/.
#
#   ./scripts/flagship.sh                # 30 seconds of the scenario
#   ./scripts/flagship.sh --duration 5m  # the scenario's full 5 minutes
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPACER_BUILD_TESTS=OFF \
  -DPACER_BUILD_EXAMPLES=ON "${launcher[@]}" >/dev/null
cmake --build build-release --target certctl-target bulk_renewal

run=$(mktemp -d)
target_pid=
cleanup() {
  if [ -n "$target_pid" ]; then
    kill -TERM "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
  fi
  rm -rf "$run"
}
trap cleanup EXIT

echo "starting certctl-target (seeding 10,000 certificates)..."
build-release/examples/certctl_target/certctl-target --port 0 --db "$run/certctl.db" >"$run/target.out" 2>&1 &
target_pid=$!
# The target prints one line when it listens; seeding can take a few seconds.
url=
for _ in $(seq 600); do
  url=$(sed -n 's/^listening on //p' "$run/target.out" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$target_pid" 2>/dev/null || { cat "$run/target.out" >&2; echo "certctl-target failed to start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "certctl-target did not start within 60 s" >&2; exit 1; }
echo "target: $url"

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--duration 30s)
status=0
CERTCTL_BASE="$url" build-release/examples/bulk_renewal "${args[@]}" || status=$?
results=results
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = --results-dir ] && results=${args[$((i + 1))]:-results}
done
echo "results: $results/summary-bulk-renewal.json, $results/summary-bulk-renewal.txt (exit code $status)"
exit "$status"
