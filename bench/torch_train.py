"""PyTorch reference of the training benchmark in bench/cpu-compare.mjs (float32, CPU, same cores).

The paper's model: one-hot(a) ++ one-hot(b) -> Linear(2p, 250) -> ReLU -> Linear(250, p, bias=False),
full-batch AdamW (lr 0.03, weight decay 1, betas (0.9, 0.98)), evaluation (train and test loss and
accuracy) every 5 steps, as grokinfo's runs do. Prints model-steps/s for one model as JSON: per wall
second and per CPU second of the process (all its threads: the figure to compare on a loaded machine).

    python3 bench/torch_train.py steps threads
"""
import json
import sys
import time

import torch


def main():
    steps, threads = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    p = 97
    g = torch.Generator().manual_seed(420)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    perm = torch.randperm(len(pairs), generator=g)
    ntrain = int(0.4 * len(pairs))
    tr, te = pairs[perm[:ntrain]], pairs[perm[ntrain:]]

    def onehot(x):
        return torch.cat([torch.nn.functional.one_hot(x[:, 0], p), torch.nn.functional.one_hot(x[:, 1], p)], 1).float()

    Xtr, Xte = onehot(tr), onehot(te)
    ytr, yte = (tr[:, 0] + tr[:, 1]) % p, (te[:, 0] + te[:, 1]) % p
    model = torch.nn.Sequential(torch.nn.Linear(2 * p, 250), torch.nn.ReLU(), torch.nn.Linear(250, p, bias=False))
    opt = torch.optim.AdamW(model.parameters(), lr=0.03, weight_decay=1.0, betas=(0.9, 0.98), foreach=False)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(Xtr), ytr).backward()
        opt.step()

    def evaluate():
        with torch.no_grad():
            for X, y in ((Xtr, ytr), (Xte, yte)):
                out = model(X)
                loss_fn(out, y).item()
                (out.argmax(1) == y).float().mean().item()

    for _ in range(5):
        step()
    evaluate()
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(0, steps, 5):
        for _ in range(5):
            step()
        evaluate()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"model_steps_per_s": steps / dt, "model_steps_per_cpu_s": steps / dc, "torch": torch.__version__,
                      "threads": threads}))


if __name__ == "__main__":
    main()
