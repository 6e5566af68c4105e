#!/usr/bin/env bash
# Installs the right torch build into the virtualenv whose pip is $1.
# - a machine with a working CUDA GPU gets the default (CUDA) wheel;
# - any other machine gets a CPU-only wheel, never the multi-GB CUDA stack:
#   a local CPU wheel when pip's find-links offers one, else PyTorch's CPU index.
set -euo pipefail
PIP="$1"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
if "$PIP" show torch >/dev/null 2>&1; then
  exit 0
fi
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "CUDA GPU found: installing the CUDA build of torch"
  "$PIP" install "torch>=2.4"
elif "$PIP" download --no-deps --no-index -q -d "$(mktemp -d)" "torch==${TORCH_VERSION}" >/dev/null 2>&1; then
  echo "No CUDA GPU: installing the local CPU build of torch ${TORCH_VERSION}"
  "$PIP" install "torch==${TORCH_VERSION}"
else
  echo "No CUDA GPU: installing the CPU build of torch from PyTorch's CPU index"
  "$PIP" install torch --index-url https://download.pytorch.org/whl/cpu
fi
