"""PyTorch reference of the MNIST-shaped training benchmark in bench/mnist-train.mjs (float32, CPU).

Omnigrok's MNIST model (KindXiaoming/Omnigrok, mnist/grokking): 784 -> 200 -> ReLU -> 200 -> ReLU -> 10,
MSE on one-hot targets (nn.MSELoss, mean), AdamW(lr 1e-3, weight decay 0.01), minibatches of 200 drawn
by DataLoader-style shuffling of 1,000 training samples (random data of MNIST's shape: speed only).
M independent models step one after the other (PyTorch has no batched trainer of independent
models). Prints model-steps/s as JSON.

    python3 bench/torch_mnist.py steps threads models
"""
import json
import sys
import time

import torch


def main():
    steps, threads, models = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n, B = 1000, 200
    X = torch.rand(n, 784)
    y = torch.randint(0, 10, (n,))
    onehots = torch.eye(10)[y]
    nets, opts = [], []
    for _ in range(models):
        net = torch.nn.Sequential(torch.nn.Linear(784, 200), torch.nn.ReLU(), torch.nn.Linear(200, 200), torch.nn.ReLU(), torch.nn.Linear(200, 10))
        nets.append(net)
        opts.append(torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.01, foreach=False))
    loss_fn = torch.nn.MSELoss()
    perm = [torch.randperm(n) for _ in range(models)]

    def step(k):
        b = k % (n // B)
        for m in range(models):
            if b == 0:
                perm[m] = torch.randperm(n)
            idx = perm[m][b * B:(b + 1) * B]
            opts[m].zero_grad(set_to_none=True)
            loss_fn(nets[m](X[idx]), onehots[idx]).backward()
            opts[m].step()

    for k in range(10):
        step(k)
    t0 = time.perf_counter()
    for k in range(steps):
        step(k)
    dt = time.perf_counter() - t0
    print(json.dumps({"model_steps_per_s": steps * models / dt, "torch": torch.__version__, "threads": threads, "models": models}))


if __name__ == "__main__":
    main()
