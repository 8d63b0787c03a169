#!/usr/bin/env bash
# GPU check of the engine: golden + TinyStories tests on device=gpu, then the JMH benchmark on the GPU.
# Needs a CUDA 12.8 libtorch 2.7.1 on this machine (no download: runs offline). See docs/gpu.md.
#   PYTORCH_LIBRARY_PATH=/path/to/torch/lib bench/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PYTORCH_LIBRARY_PATH:?set PYTORCH_LIBRARY_PATH to the lib/ folder of libtorch 2.7.1+cu128 (e.g. torch/lib of pip torch==2.7.1+cu128)}"
export PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}" DJL_OFFLINE=true
nvidia-smi -L || { echo "no GPU visible"; exit 1; }
# -Dcuda: profile 'cuda' drops pytorch-native-cpu and sets engine.test.device=gpu for the engine tests
./mvnw -o -B -Dcuda test -Dtest='GoldenCasesTest,TinyStoriesTest'
./mvnw -o -B -Dcuda -Pbench -DskipTests test-compile exec:exec \
  -Djmh.args="AttributionBenchmark -jvmArgsAppend -Dfaultline.bench.device=gpu" | tee target/gpu-bench.log
grep -E "^AttributionBenchmark|MEMORY" target/gpu-bench.log || true
