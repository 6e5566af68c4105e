#!/usr/bin/env bash
# Installs llama-cpp-python (with its OpenAI-compatible server) into the virtualenv whose pip is $1.
# The tests run a real llama.cpp server on the embedded GGUF model, and the benchmark compares it.
# - It builds from source; a "native" build (-march=native) crashed with "Illegal instruction" on
#   some machines, so the instruction sets come from this CPU's flags in /proc/cpuinfo instead.
# - pip keeps the built wheel in its cache: a second fresh clone installs it without rebuilding.
# - CMAKE_ARGS set by the caller win (e.g. CUDA: CMAKE_ARGS="-DGGML_CUDA=on").
set -euo pipefail
PIP="$1"
SPEC="${LLAMA_CPP_SPEC:-llama-cpp-python[server]>=0.3}"
if "$PIP" show llama-cpp-python >/dev/null 2>&1; then
  exit 0
fi
cmake_args_for_cpu() {
  local flags args="-DGGML_NATIVE=OFF"
  flags=" $(grep -m1 -E '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  if [ "$flags" = "  " ]; then  # no /proc/cpuinfo (macOS, BSD): llama.cpp's own defaults
    echo ""
    return
  fi
  for pair in avx:AVX avx2:AVX2 fma:FMA f16c:F16C avx512f:AVX512; do
    local flag="${pair%%:*}" option="${pair##*:}"
    if [[ "$flags" == *" $flag "* ]]; then args="$args -DGGML_${option}=ON"; else args="$args -DGGML_${option}=OFF"; fi
  done
  echo "$args"
}
export CMAKE_ARGS="${CMAKE_ARGS:-$(cmake_args_for_cpu)}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
echo "Installing $SPEC (CMAKE_ARGS=$CMAKE_ARGS; a build from source takes minutes, once)"
"$PIP" install "$SPEC"
