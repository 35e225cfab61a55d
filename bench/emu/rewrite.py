#!/usr/bin/env python3
"""Rewrites a native/*.cu file into C++ that g++ compiles against bench/emu/inc/cuda_runtime.h.

  python3 rewrite.py SRC.cu DST.inc            whole file (kernels + host launchers)
  python3 rewrite.py --kernels SRC.cu DST.inc  kernels only: cut before the '// Host side' /
                                              '// Host trainer' banner, namespaces closed

- `extern __shared__` dynamic shared memory -> the emulated block's byte buffer (g_emu.dyn)
- `kernel<<<grid, block, smem, stream>>>(args);` -> emu_launch(grid, block, smem, seq, lambda)
  seq = true for kernels without barriers/shuffles (SEQ below): their threads run one after the
  other on one OS thread (much faster than one OS thread per CUDA thread).
Fails (exit 1) when something it must rewrite is missing or left over, so a changed .cu file
does not silently produce a stale emulation.
"""
import re
import sys

args = sys.argv[1:]
kernels_only = False
if args and args[0] == '--kernels':
    kernels_only, args = True, args[1:]
if len(args) != 2:
    sys.exit(__doc__)
src, dst = args
s = open(src).read()


def die(msg):
    sys.exit('rewrite.py %s: %s' % (src, msg))


def end_of_function(text, start):
    """Index just past the body of the function whose declaration starts at `start`."""
    depth, i = 0, start
    while i < len(text):  # the body's '{' is the first one outside the parameter list
        ch = text[i]
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        elif ch == '{' and depth == 0:
            break
        i += 1
    depth = 0
    while i < len(text):
        if text[i] == '{':
            depth += 1
        elif text[i] == '}':
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    die('unbalanced braces after offset %d' % start)


if kernels_only:
    # Kept: everything before the first '// Host ...' banner, then every later banner section whose
    # title mentions kernels, up to the end of its last __global__/__device__ function.
    banner = re.compile(r'^// -{20,}\n// (.*)\n// -{20,}\n', re.M)
    bs = list(banner.finditer(s))
    host = [b for b in bs if b.group(1).startswith('Host')]
    if not host:
        die("no '// Host side' / '// Host trainer' banner to cut the kernels at")
    out = s[:host[0].start()]
    for i, b in enumerate(bs):
        if b.start() <= host[0].start() or 'kernels' not in b.group(1):
            continue
        end = bs[i + 1].start() if i + 1 < len(bs) else len(s)
        sec = s[b.start():end]
        fns = list(re.finditer(r'^(template\s*<[^>]*>\s*)?__(global|device)__\b', sec, re.M))
        if not fns:
            die('section "%s" has no kernels' % b.group(1))
        out += sec[:end_of_function(sec, fns[-1].start())] + '\n'
    s = out + '}  // namespace\n}  // namespace grokinfo\n'

s = s.replace('extern __shared__ double smem[];', 'double* smem = reinterpret_cast<double*>(g_emu.dyn.data());')
s = s.replace('extern __shared__ __align__(16) unsigned char sm_raw[];', 'unsigned char* sm_raw = g_emu.dyn.data();')
if 'extern __shared__' in s:
    die('an `extern __shared__` declaration this script does not know (add it to rewrite.py)')

# Kernels whose threads never wait for each other (no __syncthreads / __syncwarp / shuffles).
SEQ = {'gather0_kernel', 'batch_kernel', 'batch_lists_kernel', 'loss_check_kernel', 'colsum_kernel', 'slice_reduce_kernel', 'scatter0_kernel',
       'optim_kernel', 'mask_kernel', 'rescale_kernel', 'scan_columns_kernel'}


def split_top(x):
    out, d, cur = [], 0, ''
    for ch in x:
        if ch in '([{':
            d += 1
        if ch in ')]}':
            d -= 1
        if ch == ',' and d == 0:
            out.append(cur)
            cur = ''
        else:
            cur += ch
    out.append(cur)
    return out


pat = re.compile(r'([A-Za-z_]\w*(?:<[^<>;]*>)?)<<<(.*?)>>>\((.*?)\);', re.S)
seq_seen = set()


def rep(m):
    name, cfg, a = m.group(1), m.group(2), m.group(3)
    c = split_top(cfg)
    if len(c) < 3:
        die('launch of %s without an explicit shared-memory size: %s' % (name, cfg))
    base = name.split('<')[0]
    if base in SEQ:
        seq_seen.add(base)
    seq = 'true' if base in SEQ else 'false'
    return ('emu_launch(dim3(%s), dim3(%s), %s, %s, [emu_t = std::make_tuple(%s)] { std::apply(%s, emu_t); });'
            % (c[0].strip(), c[1].strip(), c[2].strip(), seq, a, name))


s, n = pat.subn(rep, s)
if '<<<' in s:
    die('a kernel launch the pattern did not match is left over')
# a kernel in SEQ must really be barrier-free: check its body
for k in seq_seen:
    km = re.search(r'__global__\s+void\s+' + k + r'\s*\(', s)
    if km:
        body = s[km.end():]
        nxt = body.find('__global__')
        body = body if nxt < 0 else body[:nxt]
        if re.search(r'__syncthreads|__syncwarp|__shfl|block_sum|warp_sum|warp_max', body):
            die('%s is marked sequential in rewrite.py but uses barriers or shuffles' % k)
open(dst, 'w').write(s)
print('%s -> %s: %d launches rewritten%s' % (src, dst, n, ' (kernels only)' if kernels_only else ''))
