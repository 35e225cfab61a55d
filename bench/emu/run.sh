#!/usr/bin/env bash
# Host SIMT emulation of the CUDA code (no GPU): regenerates the emulated sources from the CURRENT
# native/*.cu, compiles each harness with g++ and runs it. See bench/emu/README.md.
#   bash bench/emu/run.sh                 small sizes (a few minutes on 2 cores)
#   FULL=1 bash bench/emu/run.sh          adds the paper-size cases (3763 x 250 checkpoint, unions of
#                                         310 variables, p=97 training): much longer
#   EMU_BUILD=/path  build folder (default: a fresh mktemp -d, removed at the end unless KEEP=1)
#   ONLY="full train"  run only these harnesses (kernels mlp full train)
# One summary line per harness; exit status 1 when any harness fails to build or reports a mismatch.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N="${EMU_NATIVE:-$ROOT/native}"   # EMU_NATIVE: another copy of native/ (e.g. a mutation test)
FULL="${FULL:-0}"
ONLY="${ONLY:-kernels mlp full train}"
CXX="${CXX:-g++}"
if [ -n "${EMU_BUILD:-}" ]; then B="$EMU_BUILD"; mkdir -p "$B"; else B="$(mktemp -d /tmp/grokinfo-emu.XXXXXX)"; fi
cleanup() { [ -z "${EMU_BUILD:-}" ] && [ "${KEEP:-0}" != 1 ] && rm -rf "$B"; }
trap cleanup EXIT
# nice: the emulation runs one OS thread per CUDA thread and must not starve other work on the machine
NICE="nice -n ${NICE_LEVEL:-19}"
T0=$(date +%s)
echo "== bench/emu: build dir $B (FULL=$FULL)"

# 1. emulated sources from the current native/ files
gen_ok=1
sed -n '/#ifdef __CUDACC__/,/#endif/p' "$N/cuda_util.cuh" | sed '1d;$d' > "$B/cu_dev.inc"
[ -s "$B/cu_dev.inc" ] || { echo "cuda_util.cuh: no #ifdef __CUDACC__ block"; gen_ok=0; }
# the O-information engine is split by concern (native/oinfo_cuda.cuh): every file for the whole host path,
# the files with kernels (all but the entry file oinfo_cuda.cu) for the kernels-only harness
OINFO_KERNEL_FILES=(oinfo_cuda_lattice.cu oinfo_cuda_copula.cu oinfo_cuda_gram.cu)
: > "$B/oinfo_full.inc"; : > "$B/oinfo_kernels.inc"
for f in "${OINFO_KERNEL_FILES[@]}" oinfo_cuda.cu; do
  [ -f "$N/$f" ] || { echo "missing $N/$f"; gen_ok=0; continue; }
  python3 "$HERE/rewrite.py" "$N/$f" "$B/full_$f.inc" && cat "$B/full_$f.inc" >> "$B/oinfo_full.inc" || gen_ok=0
done
for f in "${OINFO_KERNEL_FILES[@]}"; do
  python3 "$HERE/rewrite.py" --kernels "$N/$f" "$B/kern_$f.inc" && cat "$B/kern_$f.inc" >> "$B/oinfo_kernels.inc" || gen_ok=0
done
python3 "$HERE/rewrite.py" "$N/mlp_cuda.cu" "$B/mlp_full.inc" || gen_ok=0
python3 "$HERE/rewrite.py" --kernels "$N/mlp_cuda.cu" "$B/mlp_kernels.inc" || gen_ok=0
if [ "$gen_ok" != 1 ]; then echo "FAIL  generating the emulated sources"; exit 1; fi

# -march as the product build (CMakeLists GROKINFO_MARCH default): the CPU engine's vector code
F=(-std=c++20 -O1 -march="${EMU_MARCH:-x86-64-v3}" -pthread -fopenmp -DGROKINFO_WITH_CUDA -I"$HERE/inc" -I"$N" -I"$B" -w)
declare -A SRCS=(
  [kernels]="harness.cpp"
  [mlp]="harness_mlp.cpp $N/adamw.cpp"
  [full]="harness_full.cpp $N/oinfo.cpp $N/oinfo_cpu.cpp $N/copula.cpp $N/clustering.cpp $N/kernels.cpp $N/kernels_portable.cpp $N/kernels_avx2.cpp $N/kernels_avx512.cpp"
  [train]="harness_train.cpp $N/mlp.cpp $N/mlp_cpu.cpp $N/gemm.cpp $N/adamw.cpp $N/mlp_init.cpp $N/kernels.cpp $N/kernels_portable.cpp $N/kernels_avx2.cpp $N/kernels_avx512.cpp"
)
declare -A WHAT=(
  [kernels]="oinfo kernels vs brute force (var/unit/copula/gram/scan)"
  [mlp]="trainer kernels vs float64 loops / adamw.cpp"
  [full]="oinfo_multiplets_cuda + measure_checkpoints_cuda vs CPU engine"
  [train]="CudaTrainer vs CpuTrainer"
)
# runs: name|harness|env|args
RUNS=()
for h in $ONLY; do
  case "$h" in
    kernels) RUNS+=("kernels|kernels||"); [ "$FULL" = 1 ] && RUNS+=("kernels BIG (unions of 310 vars)|kernels|BIG=1|") ;;
    mlp) RUNS+=("mlp|mlp||") ;;
    full) RUNS+=("full|full||")
          [ "$FULL" = 1 ] && RUNS+=("full P1 3763x250 ties=average|full|P1=0|" "full P1 3763x250 ties=random|full|P1=1|" "full units [200,150,100] global panels|full|GPANELS=1|") ;;
    train) RUNS+=("train p=40 graphs|train||40 6" "train p=40 GROKINFO_CUDA_GRAPHS=0|train|GROKINFO_CUDA_GRAPHS=0|40 3"
                  "train dense x {xent,mse} x {full,minibatch} x depth {1,3} + pairs minibatch mse|train||dense")
           [ "$FULL" = 1 ] && RUNS+=("train p=97 (5645 rows = 12 split-K slices)|train||97 2") ;;
    *) echo "unknown harness '$h' (kernels mlp full train)"; exit 1 ;;
  esac
done

# 2. build (only the harnesses needed)
declare -A BUILT=()
fails=0
SUMMARY=()
for r in "${RUNS[@]}"; do
  IFS='|' read -r _ h _ _ <<<"$r"
  [ -n "${BUILT[$h]:-}" ] && continue
  t=$(date +%s)
  # shellcheck disable=SC2086
  if (cd "$HERE" && $NICE "$CXX" "${F[@]}" ${SRCS[$h]} -o "$B/harness_$h") >"$B/build_$h.log" 2>&1; then
    BUILT[$h]=ok; echo "   built harness_$h ($(( $(date +%s) - t )) s)"
  else
    BUILT[$h]=fail; fails=$((fails + 1)); echo "FAIL  build harness_$h:"; tail -20 "$B/build_$h.log"
    SUMMARY+=("FAIL  $h: build failed (${WHAT[$h]})")
  fi
done

# 3. run
for r in "${RUNS[@]}"; do
  IFS='|' read -r name h envs hargs <<<"$r"
  [ "${BUILT[$h]}" = ok ] || continue
  t=$(date +%s)
  log="$B/run_$(echo "$name" | tr -c 'A-Za-z0-9' _).log"
  # shellcheck disable=SC2086
  env OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" $envs $NICE "$B/harness_$h" $hargs >"$log" 2>&1
  rc=$?
  dt=$(( $(date +%s) - t ))
  npass=$(grep -c '^PASS' "$log"); nfail=$(grep -c '^FAIL' "$log")
  last=$(tail -1 "$log")
  # a harness passes only with exit 0, its final "ALL OK (0 failures)" line, and no FAIL line
  if [ "$rc" = 0 ] && [ "$nfail" = 0 ] && [[ "$last" == "ALL OK (0 failures)" ]]; then st=PASS; else st=FAIL; fails=$((fails + 1)); fi
  SUMMARY+=("$st  $name: rc $rc, $npass PASS / $nfail FAIL lines, last: '$last' (${dt} s) [${WHAT[$h]}]")
  if [ "$st" = FAIL ] || [ "${VERBOSE:-0}" = 1 ]; then echo "--- $name (log $log)"; grep -v '^PASS' "$log" | tail -40; fi
done

echo "== summary ($(( $(date +%s) - T0 )) s)"
printf '%s\n' "${SUMMARY[@]}"
if [ "$fails" = 0 ]; then echo "EMU ALL OK"; exit 0; else echo "EMU FAILED ($fails)"; [ -z "${EMU_BUILD:-}" ] && KEEP=1 && echo "logs kept in $B"; exit 1; fi
