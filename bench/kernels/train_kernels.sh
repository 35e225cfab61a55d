#!/usr/bin/env bash
# Builds and runs bench/kernels/train_kernels.cpp (the trainer's float32 kernels at paper size, one
# thread) from the current native/ with the flags of CMakeLists.txt (per-ISA kernel files with their own
# -march), once per path this CPU can run (GROKINFO_CPU_KERNELS=portable|avx2|avx512):
#   bash bench/kernels/train_kernels.sh [paths...]      (default: avx2 avx512)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TK_BUILD:-/tmp/train_kernels_build}
march=${MARCH:-x86-64-v3}
mkdir -p "$out"
flags="-std=c++20 -O3 -fno-math-errno -ffp-contract=fast -fopenmp -DGROKINFO_ISA_KERNELS=1 -I$root/native"
g++ $flags -march=$march -c "$root/native/gemm.cpp" -o "$out/gemm.o" &
g++ $flags -march=$march -c "$root/native/kernels.cpp" -o "$out/kernels.o" &
g++ $flags -march=x86-64 -mtune=generic -c "$root/native/kernels_portable.cpp" -o "$out/kp.o" &
g++ $flags -march=x86-64-v3 -c "$root/native/kernels_avx2.cpp" -o "$out/k2.o" &
g++ $flags -march=x86-64-v4 -mprefer-vector-width=512 -c "$root/native/kernels_avx512.cpp" -o "$out/k5.o" &
g++ $flags -march=$march -c "$root/bench/kernels/train_kernels.cpp" -o "$out/main.o" &
wait
g++ -fopenmp "$out/main.o" "$out/gemm.o" "$out/kernels.o" "$out/kp.o" "$out/k2.o" "$out/k5.o" -o "$out/train_kernels"
for path in "${@:-avx2 avx512}"; do
  for p in $path; do
    echo "== $p"
    GROKINFO_CPU_KERNELS=$p "$out/train_kernels"
  done
done
