#!/usr/bin/env bash
# Start time and heap of a triage pod with 10,000, 100,000 and 1,000,000 results on attribution.results
# (dev.faultline.fleet.PodStartBench), for this checkout ("after") and, when BEFORE is set, for another packaged
# checkout ("before", e.g. a worktree of the commit before the Redis read-models, packaged with -DskipTests):
#   BEFORE=/tmp/fleet-before bench/pod-start.sh [SIZES=10000,100000,1000000]
# (from the repository root; packages this checkout first unless SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-10000,100000,1000000}
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -B -o -q package -DskipTests
JARS="after=target/quarkus-app/quarkus-run.jar"
[ -z "${BEFORE:-}" ] || JARS="before=$BEFORE/target/quarkus-app/quarkus-run.jar,$JARS"
./mvnw -B -o test -Dtest=PodStartBench -Dbench=true -Dbench.jars="$JARS" -Dbench.sizes="$SIZES" \
  ${BENCH_OPTS:-} -Dsurefire.failIfNoSpecifiedTests=false | sed -n '/results on the topic\|^  \|=== pod start/p'
