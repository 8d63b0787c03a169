#!/usr/bin/env bash
# A run's attributions/s with 1 worker process against 2 (1 libtorch intra-op thread each), side by side on one broker,
# Redis and triage process (dev.faultline.fleet.WorkerScalingBench): 1 worker, 2 workers, 1 worker, 2 workers, N
# failures per run, by default of the bundled demo model.
#   bench/workers-throughput.sh [N=600]     (from the repository root; packages first unless SKIP_BUILD=1)
# BENCH_OPTS adds bench settings, e.g. a random-weight Llama (written on first use) whose attributions dominate:
#   BENCH_OPTS="-Dbench.model=/tmp/faultline-scaling/random-llama -Dbench.prompt-tokens=128" bench/workers-throughput.sh 300
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-600}
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -o -q package -DskipTests
# shellcheck disable=SC2086
./mvnw -B -o test -Dtest=WorkerScalingBench -Dbench=true -Dbench.n="$N" ${BENCH_OPTS:-} \
  -Dsurefire.failIfNoSpecifiedTests=false \
  | sed -n '/^one-\|^two-\|^warm-\|=== worker scaling/,/^\[/p'
