#!/usr/bin/env bash
# Three events through the running service (different outputs, so none is a cache hit; the first also loads
# the model) (role all, embedded Kafka + Redis) on a random-weight checkpoint of
# Qwen3-0.6B's published shape, from POST /api/events to the stored result: the wall time a user waits and the
# engine's own phases from the result's timings_ms. The checkpoint comes from the size ladder's scratch folder
# (SizeLadderBench writes it). Needs target/quarkus-app (./mvnw -B -q package -DskipTests).
#   bench/real-size-event.sh [LADDER_DIR=/tmp/faultline-ladder] [PORT=18080]
set -euo pipefail
cd "$(dirname "$0")/.."
LADDER_DIR="${LADDER_DIR:-/tmp/faultline-ladder}"
PORT="${PORT:-18080}"
[ -f "$LADDER_DIR/qwen3-0.6b/config.json" ] || { echo "no checkpoint in $LADDER_DIR/qwen3-0.6b: run SizeLadderBench first"; exit 1; }
log=$(mktemp)
# random weights put no margin between the wrong and the right token: attribute every failure (min-logit-diff -1e9)
java -Dquarkus.http.port="$PORT" -Dfaultline.demo.enabled=false -Dfaultline.models.dir="$LADDER_DIR" \
  -Dfaultline.attribution.min-logit-diff=-1000000000 -Dai.djl.pytorch.num_threads="${THREADS:-2}" \
  -jar target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$PORT/q/health/ready" >/dev/null 2>&1 && break; sleep 1; done
prompt="Tom had three apples and Sue gave him four more. Then he ate two of them and gave one to his friend Ben, who was hungry after the long walk home from school. How many apples does Tom have now? Answer:"
for i in 1 2 3; do
  id="real-size-$(date +%s%N)-$i"
  body=$(printf '{"schema":"faultline.eval-output/v1","event_id":"%s","run_id":"bench/qwen3-0.6b","model":{"name":"qwen3-0.6b","revision":"main"},"benchmark":"bench","example_id":"ex/%s","prompt":"%s","output":" %s apples","references":["4 apples"],"scoring":{"method":"normalized","pattern":null},"correct":null,"produced_at":"2026-12-07T12:00:00Z"}' "$id" "$i" "$prompt" "$((4 + i))")
  t0=$(date +%s%N)
  curl -fs -X POST -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$PORT/api/events" >/dev/null
  for _ in $(seq 1 600); do
    r=$(curl -fs "http://127.0.0.1:$PORT/api/attributions/$id" || true)
    [ -n "$r" ] && break
    sleep 0.1
  done
  t1=$(date +%s%N)
  echo "event $i: $(( (t1 - t0) / 1000000 )) ms from POST to result; $(echo "$r" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], "tokens", len(d.get("tokens") or []), "timings_ms", d.get("timings_ms"))')"
done
