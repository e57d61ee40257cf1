#!/usr/bin/env python3
"""Peer timing for genlab's matching benchmarks: scipy.sparse.linalg.eigsh
(shift-invert, sigma=-0.01, as pyFM) for the first k generalized
eigenpairs (k = 30 and 100 unless given) of the matrices written by
TestExportBenchMatrices, and the largest relative difference to genlab's
eigenvalues. Run it with OPENBLAS_NUM_THREADS=1 to compare with genlab at
GOMAXPROCS=1.

usage: scripts/matching-eigsh.py DIR [K ...]
"""
import glob, os, sys, time
import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

d = sys.argv[1]
ks = [int(a) for a in sys.argv[2:]] or [30, 100]
def size(path):
    return int(os.path.basename(path)[2:-4])  # L_<n>.txt


for lf in sorted(glob.glob(os.path.join(d, "L_*.txt")), key=size):
    n = size(lf)
    t = np.loadtxt(lf)
    L = sp.csc_matrix((t[:, 2], (t[:, 0].astype(int), t[:, 1].astype(int))), shape=(n, n))
    M = sp.diags(np.loadtxt(os.path.join(d, f"M_{n}.txt"))).tocsc()
    for k in ks:
        walls, cpus = [], []
        for rep in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            vals, vecs = eigsh(L, k=k, M=M, sigma=-0.01)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        vals = np.sort(vals)
        gf = os.path.join(d, f"evals_go_{n}_k{k}.txt")
        rel = float("nan")
        if os.path.exists(gf):
            go = np.loadtxt(gf)
            rel = np.max(np.abs(vals[1:] - go[1:]) / vals[1:])
        print(f"scipy {scipy.__version__} eigsh n={n} k={k}: wall {np.mean(walls):.3f} s/op, cpu {np.mean(cpus):.3f} cpu-s/op (mean of 3); "
              f"max rel. eigenvalue diff vs genlab {rel:.2e}", flush=True)
