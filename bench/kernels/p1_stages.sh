#!/usr/bin/env bash
# Builds and runs bench/kernels/p1_stages.cpp (the P1 stage breakdown) from the current native/ with the
# flags of CMakeLists.txt (core -march=$MARCH, default x86-64-v3; per-ISA kernel files with their own).
#   bash bench/kernels/p1_stages.sh [repeats]      (GROKINFO_CPU_KERNELS=portable|avx2|avx512 forces a path)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${P1_BUILD:-/tmp/p1_stages_build}
march=${MARCH:-x86-64-v3}
mkdir -p "$out"
flags="-std=c++20 -O3 -fno-math-errno -ffp-contract=fast -fopenmp -DGROKINFO_ISA_KERNELS=1 -I$root/native"
objs=()
for f in copula clustering oinfo oinfo_cpu kernels backend; do
  g++ $flags -march=$march -c "$root/native/$f.cpp" -o "$out/$f.o" & objs+=("$out/$f.o")
done
g++ $flags -march=x86-64 -mtune=generic -c "$root/native/kernels_portable.cpp" -o "$out/kp.o" &
g++ $flags -march=x86-64-v3 -c "$root/native/kernels_avx2.cpp" -o "$out/k2.o" &
g++ $flags -march=x86-64-v4 -mprefer-vector-width=512 -c "$root/native/kernels_avx512.cpp" -o "$out/k5.o" &
g++ $flags -march=$march -c "$root/bench/kernels/p1_stages.cpp" -o "$out/main.o" &
wait
g++ -fopenmp "$out/main.o" "${objs[@]}" "$out/kp.o" "$out/k2.o" "$out/k5.o" -o "$out/p1_stages"
"$out/p1_stages" "${1:-11}"
