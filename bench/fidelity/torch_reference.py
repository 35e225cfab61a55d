#!/usr/bin/env python3
"""PyTorch reference for grokinfo's trainer (issue: training as faithful as PyTorch).

Writes, for the paper's protocol (p = 97, a + b mod p, MLP 194 -> 250 -> 97, AdamW lr 0.03,
betas (0.9, 0.98), eps 1e-8, full batch, float32):
  src/tasks/authors-split.ts      torch.randperm(p*p, generator=torch.Generator().manual_seed(420)),
                                 the permutation the authors' code splits with (train = the first 40%)
  test/fixtures/fidelity/init-s<seed>.safetensors
                                 PyTorch's initial weights (torch.manual_seed(seed); nn.Linear default init)
                                 under grokinfo's tensor names (layers.0.weight [250, 194], layers.0.bias,
                                 layers.1.weight [97, 250])
  test/fixtures/fidelity/trajectories.json
                                 train/test loss and accuracy after 0, 1, 10, 100, 1000 steps and the grok step
                                 (first evaluation, every 5 steps, with test accuracy > 0.98) per (seed, wd)

Not part of CI: run by hand where Debian's python3-torch is installed
  /usr/bin/python3 bench/fidelity/torch_reference.py [--seeds 0,100] [--wds 0.1,2] [--steps 3600]
"""
import argparse, json, os, struct, sys, time

import torch

P, FRAC, SPLIT_SEED, HIDDEN = 97, 0.4, 420, 250
ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
RECORD_AT = [0, 1, 10, 100, 1000]


def authors_perm():
    return torch.randperm(P * P, generator=torch.Generator().manual_seed(SPLIT_SEED))


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def data(perm):
    """Inputs as token pairs (a, p + b): the one-hot product one_hot(a) ++ one_hot(b) @ W1^T is the sum of
    two columns of W1, computed here as that sum (Debian's torch has a generic BLAS: a 3763 x 194 one-hot
    matmul per step would dominate; the two are the same float32 sum up to the order of adding the bias)."""
    n_train = int(FRAC * P * P)
    a, b = perm // P, perm % P
    y = (a + b) % P
    x = torch.stack([a, P + b], dim=1)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


class PairMLP(torch.nn.Module):
    """nn.Linear(2p, 250) -> ReLU -> nn.Linear(250, p, bias=False), with the first layer applied to the
    two-hot input as a sum of two weight columns."""

    def __init__(self):
        super().__init__()
        self.l0 = torch.nn.Linear(2 * P, HIDDEN, bias=True)
        self.l1 = torch.nn.Linear(HIDDEN, P, bias=False)

    def forward(self, x):
        wt = self.l0.weight.t()
        h = torch.relu(wt[x[:, 0]] + wt[x[:, 1]] + self.l0.bias)
        return self.l1(h)


def model_for(seed):
    torch.manual_seed(seed)
    return PairMLP()


def evaluate(model, xs, ys):
    with torch.no_grad():
        out = model(xs)
        loss = torch.nn.functional.cross_entropy(out, ys).item()
        acc = (out.argmax(1) == ys).float().mean().item()
    return loss, acc


def train(seed, wd, steps, train_set, test_set, log):
    model = model_for(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=0.03, betas=(0.9, 0.98), eps=1e-8, weight_decay=wd)
    (xtr, ytr), (xte, yte) = train_set, test_set
    rec, grok = {}, None
    for s in range(steps + 1):
        if s in RECORD_AT or s % 5 == 0:
            tl, ta = evaluate(model, xtr, ytr)
            vl, va = evaluate(model, xte, yte)
            if s in RECORD_AT:
                rec[str(s)] = {'trainLoss': tl, 'trainAcc': ta, 'testLoss': vl, 'testAcc': va}
            if grok is None and s % 5 == 0 and va > 0.98:
                grok = s
            if grok is not None and s >= max(RECORD_AT):
                break
        if s == steps:
            break
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xtr), ytr).backward()
        opt.step()
    log(f'seed {seed} wd {wd}: grok step {grok} (stopped at {s})')
    return {'seed': seed, 'weightDecay': wd, 'losses': rec, 'grokStep': grok, 'stepsRun': s}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seeds', default='0,100')
    ap.add_argument('--wds', default='0.1,2')
    ap.add_argument('--steps', type=int, default=4000)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    perm = authors_perm()

    # The split, as a TypeScript module (one source for the library; no data file to locate at run time).
    vals = perm.tolist()
    lines = [', '.join(str(v) for v in vals[i:i + 24]) for i in range(0, len(vals), 24)]
    ts = ('/**\n * The authors\' train/test split of the paper\'s task (p = 97): the permutation\n'
          ' * torch.randperm(9409, generator=torch.Generator().manual_seed(420)) of the pair indices a * 97 + b;\n'
          ' * the training set is its first floor(trainFraction * 9409) entries (3763 at 0.4), the test set the rest.\n'
          f' * Generated by bench/fidelity/torch_reference.py with PyTorch {torch.__version__}; do not edit.\n */\n'
          f'export const AUTHORS_SPLIT = {{ p: {P}, seed: {SPLIT_SEED}, torch: \'{torch.__version__}\' }} as const;\n\n'
          'export const AUTHORS_PERM: readonly number[] = [\n  ' + ',\n  '.join(lines) + ',\n];\n')
    os.makedirs(os.path.join(ROOT, 'src', 'data'), exist_ok=True)
    with open(os.path.join(ROOT, 'src', 'data', 'authors-split.ts'), 'w') as f:
        f.write(ts)

    fx = os.path.join(ROOT, 'test', 'fixtures', 'fidelity')
    os.makedirs(fx, exist_ok=True)
    train_set, test_set = data(perm)
    seeds = [int(s) for s in args.seeds.split(',') if s]
    wds = [float(w) for w in args.wds.split(',') if w]
    out = {'torch': torch.__version__, 'threads': args.threads, 'p': P, 'hidden': HIDDEN, 'lr': 0.03, 'betas': [0.9, 0.98],
           'eps': 1e-8, 'evalEvery': 5, 'grokThreshold': 0.98, 'split': 'authors', 'runs': []}
    for seed in seeds:
        m = model_for(seed)
        write_safetensors(os.path.join(fx, f'init-s{seed}.safetensors'),
                          {'layers.0.weight': m.l0.weight, 'layers.0.bias': m.l0.bias, 'layers.1.weight': m.l1.weight},
                          {'source': f'torch {torch.__version__} nn.Linear default init, torch.manual_seed({seed})'})
    t0 = time.time()
    for wd in wds:
        for seed in seeds:
            out['runs'].append(train(seed, wd, args.steps, train_set, test_set, lambda m: print(m, f'({time.time() - t0:.0f} s)', flush=True)))
    with open(os.path.join(fx, 'trajectories.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
