#!/usr/bin/env bash
# Crash test: a worker process killed with SIGKILL in the middle of attribution jobs, then restarted;
# every event must still end with exactly one result on attribution.results (re-delivered jobs find their result
# in Redis, or are recomputed and published once).
#   bench/crash-test.sh            (from the repository root; builds the jar first unless SKIP_BUILD=1)
# Process A (role triage) starts the embedded Kafka broker and Redis and ingests events; process B (role worker)
# attributes; B is killed -9 after its first results and started again.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${FAULTLINE_SHARED_DIR:-$(cd .. && pwd)/shared}
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -o -B -q package -DskipTests
JAR=target/quarkus-app/quarkus-run.jar
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_A=$(free_port); HTTP_B=$(free_port)
JOPTS="-Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1"
cleanup() { for p in ${B_PID:-} ${A_PID:-}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

java $JOPTS -Dquarkus.http.port=$HTTP_A -Dfaultline.role=triage -jar $JAR > "$WORK/a.log" 2>&1 &
A_PID=$!
for i in $(seq 1 120); do grep -q "Faultline embedded services" "$WORK/a.log" && curl -sf "localhost:$HTTP_A/q/health/live" >/dev/null && break; sleep 1; done
KAFKA=$(sed -n 's/.*Kafka \([0-9.:]*\) (embedded).*/\1/p' "$WORK/a.log" | head -1)
REDIS=$(sed -n 's/.*Redis \(redis:[^ ]*\) (embedded).*/\1/p' "$WORK/a.log" | head -1)
echo "triage process $A_PID: Kafka $KAFKA, Redis $REDIS"

start_worker() {
  KAFKA_BOOTSTRAP_SERVERS=$KAFKA QUARKUS_REDIS_HOSTS=$REDIS FAULTLINE_MODELS_DIR=$SHARED/models \
    java $JOPTS -Dquarkus.http.port=$HTTP_B -Dfaultline.role=worker -jar $JAR >> "$WORK/b.log" 2>&1 &
  B_PID=$!
}
start_worker
RUN=crash-$(date +%s)
# 100 cloze events under fresh ids (nothing cached)
python3 - "$SHARED/data/tinystories-cloze/events.jsonl" "$RUN" > "$WORK/events.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line); e["event_id"] = sys.argv[2] + "/" + e["event_id"]; e["run_id"] = sys.argv[2]
    print(json.dumps(e))
PY
while read -r line; do curl -sf -H 'Content-Type: application/json' -d "$line" "localhost:$HTTP_A/api/events" >/dev/null; done < "$WORK/events.jsonl"
# kill the worker once it has published some attributions (26 events are correct: results without a job), while
# the rest of its jobs are queued or running
count() { curl -sf "localhost:$HTTP_A/api/runs" | python3 -c "import json,sys; print(next((r['events'] for r in json.load(sys.stdin) if r['run_id']=='$RUN'),0))"; }
for i in $(seq 1 1200); do [ "$(count)" -ge 40 ] && break; sleep 0.1; done
kill -9 $B_PID; wait $B_PID 2>/dev/null || true
echo "worker killed (SIGKILL); results on the topic at that moment:"
java -cp "target/quarkus-app/lib/main/*" bench/CountResults.java "$KAFKA" "$RUN/" 100 2>/dev/null || true
start_worker
for i in $(seq 1 180); do [ "$(count)" = 100 ] && break; sleep 1; done
echo "after the restart:"
java -cp "target/quarkus-app/lib/main/*" bench/CountResults.java "$KAFKA" "$RUN/" 100 2>/dev/null
