"""The paper's checkpoint measurement in plain numpy/scipy float64 (the reference of bench/cpu-compare.mjs).

Reads a raw float32 matrix (rows x cols, row-major) and measures it the way grokinfo does: dead
(constant) columns out, Ward clusters of the alive columns into `bins` bins (scipy), Gaussian copula
(mid-ranks, ndtri((r + 1) / (N + 1)), demeaned), covariance / (N - 1), then the closed-form
O-information of every union of 2..bins bins over the individual neurons, one slogdet and one inverse
per union (numpy, float64). Prints JSON: seconds per stage and the per-size extremes (bits).

    python3 bench/numpy_oinfo.py data.f32 rows cols bins
"""
import itertools
import json
import sys
import time

import numpy as np
from scipy.cluster.hierarchy import fcluster, ward
from scipy.special import ndtri
from scipy.stats import rankdata


def main():
    path, N, H, bins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    Z = np.fromfile(path, dtype=np.float32).reshape(N, H).astype(np.float64)
    t0 = time.perf_counter()
    alive = np.flatnonzero((Z != Z[0]).any(axis=0))
    X = Z[:, alive]
    # Ward over the columns as points in R^N; clusters numbered by their smallest member.
    lab = fcluster(ward(X.T), t=bins, criterion="maxclust")
    order = {}
    labels = np.empty(len(alive), dtype=int)
    for j, l in enumerate(lab):
        labels[j] = order.setdefault(l, len(order))
    t1 = time.perf_counter()
    G = ndtri(rankdata(X, axis=0, method="average") / (N + 1))
    G -= G.mean(axis=0)
    C = G.T @ G / (N - 1)
    t2 = time.perf_counter()
    units = [np.flatnonzero(labels == b) for b in range(bins)]
    lnc = np.log(np.diag(C))
    ext = {}
    count = 0
    for s in range(2, bins + 1):
        for m in itertools.combinations(range(bins), s):
            S = np.concatenate([units[u] for u in m])
            CS = C[np.ix_(S, S)]
            _, ld = np.linalg.slogdet(CS)
            P = np.linalg.inv(CS)
            om = -ld + 0.5 * lnc[S].sum() - 0.5 * np.log(np.diag(P)).sum()
            om /= np.log(2)
            lo, hi = ext.get(s, (np.inf, -np.inf))
            ext[s] = (min(lo, om), max(hi, om))
            count += 1
    t3 = time.perf_counter()
    print(json.dumps({
        "seconds": {"ward": t1 - t0, "copula": t2 - t1, "lattice": t3 - t2, "total": t3 - t0},
        "multiplets": count,
        "extremes": {str(s): [lo, hi] for s, (lo, hi) in ext.items()},
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
