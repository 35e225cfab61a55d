#!/usr/bin/env bash
# One-call GPU self-check + timings for a session with a GPU (see bench/gpu-check.mjs).
#   bash bench/gpu.sh [--quick] [--no-time]        PROTOCOL=1 adds the paper's experiment set, timed
# Node: $NODE, else .gpu/node (the device recipe), else node on PATH. Addon: $GROKINFO_ADDON, else
# build/Release/grokinfo.node (build it here with `npx cmake-js compile --directory . --out build`,
# nvcc present, or carry a build made on the CPU machine). Writes the full log to $OUT/gpu-check.log
# when $OUT is set. Also prints the device, the compiler's resource report if nvcc is present.
set -uo pipefail
cd "$(dirname "$0")/.."
NODE="${NODE:-}"
if [ -z "$NODE" ]; then
  if [ -x .gpu/node ]; then NODE=.gpu/node; else NODE=node; fi
fi
ADDON="${GROKINFO_ADDON:-$PWD/build/Release/grokinfo.node}"
echo "== device"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 | head -3
echo "== addon $ADDON"; ls -l "$ADDON" || { echo "addon missing"; exit 1; }
if command -v nvcc >/dev/null 2>&1 && [ "${RESOURCES:-0}" = 1 ]; then
  echo "== resource report (registers / stack / smem)"
  for f in native/oinfo_cuda_lattice.cu native/oinfo_cuda_copula.cu native/oinfo_cuda_gram.cu native/mlp_cuda.cu; do
    nvcc -arch=sm_90 -std=c++17 -O3 --use_fast_math -Xptxas -v -c "$f" -I native -o /dev/null 2>&1 |
      grep -E "Compiling entry|registers|stack frame" | sed 's/_ZN8grokinfo[^ ]*_cu_[0-9a-f]*//'
  done
fi
LOG=/dev/null
[ -n "${OUT:-}" ] && LOG="$OUT/gpu-check.log"
echo "== checks and timings"
GROKINFO_ADDON="$ADDON" "$NODE" bench/gpu-check.mjs "$@" 2>&1 | tee "$LOG"
rc="${PIPESTATUS[0]}"
# PROTOCOL=1: then the paper's whole experiment set on CUDA, timed (bench/gpu-protocol.mjs; needs dist/).
if [ "${PROTOCOL:-0}" = 1 ]; then
  echo "== paper protocol (35 runs x 4000 steps, O-information every 5 steps, ablations, claims)"
  PLOG=/dev/null
  [ -n "${OUT:-}" ] && PLOG="$OUT/gpu-protocol.log"
  GROKINFO_ADDON="$ADDON" "$NODE" bench/gpu-protocol.mjs --backend cuda ${OUT:+--json "$OUT/gpu-protocol.json"} 2>&1 | tee "$PLOG"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
exit "$rc"
