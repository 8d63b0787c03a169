#!/usr/bin/env bash
# GPU check of the engine: golden, TinyStories, float16 and Qwen3-layout tests on device=gpu, the size ladder on the
# GPU, then the JMH benchmark on the GPU.
# Needs a CUDA 12.8 libtorch 2.7.1 on this machine (no download: runs offline). See docs/gpu.md.
#   PYTORCH_LIBRARY_PATH=/path/to/torch/lib bench/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PYTORCH_LIBRARY_PATH:?set PYTORCH_LIBRARY_PATH to the lib/ folder of libtorch 2.7.1+cu128 (e.g. torch/lib of pip torch==2.7.1+cu128)}"
export PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}" DJL_OFFLINE=true
nvidia-smi -L || { echo "no GPU visible"; exit 1; }
# -Dcuda: profile 'cuda' drops pytorch-native-cpu and sets engine.test.device=gpu for the engine tests
./mvnw -o -B -Dcuda test -Dtest='GoldenCasesTest,TinyStoriesTest,HalfPrecisionTest,Qwen3CheckpointTest'
# the size ladder on the GPU, float32 and float16 (bfloat16: DJL 0.36 aborts on it, see README), random checkpoints
# of published shapes written to a scratch folder (LADDER_DIR, default /tmp/faultline-ladder)
for dtype in float32 float16; do
  ./mvnw -o -B -q -Dcuda test -Dtest=SizeLadderBench -Dbench=true -Dbench.device=gpu -Dbench.dtype=$dtype \
    -Dbench.shapes="${LADDER_SHAPES:-qwen3-0.6b,qwen3-1.7b,olmo2-1b}" -Dbench.lengths=128,512,2048 \
    -Dbench.dir="${LADDER_DIR:-/tmp/faultline-ladder}" -DforkedProcessExitTimeoutInSeconds=5
done
cat target/size-ladder.txt
./mvnw -o -B -Dcuda -Pbench -DskipTests test-compile exec:exec \
  -Djmh.args="AttributionBenchmark -jvmArgsAppend -Dfaultline.bench.device=gpu" | tee target/gpu-bench.log
grep -E "^AttributionBenchmark|MEMORY" target/gpu-bench.log || true
