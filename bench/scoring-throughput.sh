#!/usr/bin/env bash
# Scoring-path throughput: starts the packaged service with its embedded Kafka + Redis, produces N
# scoring-only events per run to eval.outputs and measures until all are counted in faultline_events_total.
# Usage: bench/scoring-throughput.sh [N=200000] [RUNS=3]     (needs target/quarkus-app; builds it when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
RUNS=${2:-3}
PORT=${BENCH_HTTP_PORT:-18080}
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q package -DskipTests
LOG=$(mktemp)
# BENCH_JAVA_OPTS: extra service options, e.g. producer settings to compare
java ${BENCH_JAVA_OPTS:-} -Dquarkus.http.port="$PORT" -jar target/quarkus-app/quarkus-run.jar >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://localhost:$PORT/q/health/ready" && break
  sleep 1
done
curl -sf -o /dev/null "http://localhost:$PORT/q/health/ready" || { cat "$LOG"; echo "service not ready"; exit 1; }
BOOT=$(grep -o 'Kafka [0-9.]*:[0-9]* (embedded)' "$LOG" | head -1 | awk '{print $2}')
echo "service ready: http://localhost:$PORT, Kafka $BOOT; N=$N, runs=$RUNS; $(nproc) cores"
java -cp "target/quarkus-app/lib/main/*" bench/ScoringThroughput.java "$BOOT" "http://localhost:$PORT/q/metrics" "$N" "$RUNS"
