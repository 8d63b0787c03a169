#!/usr/bin/env bash
# A run's attributions/s with 1 worker process against 2 (1 libtorch intra-op thread each), side by side on one broker,
# Redis and triage process (dev.faultline.fleet.WorkerScalingBench): 1 worker, 2 workers, 1 worker, 2 workers, N
# failures of the bundled demo model per run.
#   bench/workers-throughput.sh [N=600]     (from the repository root; packages first unless SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-600}
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -o -q package -DskipTests
./mvnw -B -o test -Dtest=WorkerScalingBench -Dbench=true -Dbench.n="$N" -Dsurefire.failIfNoSpecifiedTests=false \
  | sed -n '/^one-\|^two-\|^warm-\|=== worker scaling/,/^\[/p'
