#!/usr/bin/env python3
"""Peer timing for genlab's matching benchmarks: scipy.sparse.linalg.eigsh
(shift-invert, sigma=-0.01, as pyFM) for the first 100 generalized
eigenpairs of the matrices written by TestExportBenchMatrices, and the
largest relative difference to genlab's eigenvalues.

usage: scripts/matching-eigsh.py DIR
"""
import glob, os, sys, time
import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

d = sys.argv[1]
def size(path):
    return int(os.path.basename(path)[2:-4])  # L_<n>.txt


for lf in sorted(glob.glob(os.path.join(d, "L_*.txt")), key=size):
    n = size(lf)
    t = np.loadtxt(lf)
    L = sp.csc_matrix((t[:, 2], (t[:, 0].astype(int), t[:, 1].astype(int))), shape=(n, n))
    M = sp.diags(np.loadtxt(os.path.join(d, f"M_{n}.txt"))).tocsc()
    best = None
    for rep in range(3):
        t0 = time.perf_counter()
        vals, vecs = eigsh(L, k=100, M=M, sigma=-0.01)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    go = np.loadtxt(os.path.join(d, f"evals_go_{n}.txt"))
    vals = np.sort(vals)
    rel = np.max(np.abs(vals[1:] - go[1:]) / vals[1:])
    print(f"scipy {scipy.__version__} eigsh n={n} k=100: {best*1e3:.0f} ms (best of 3); max rel. eigenvalue diff vs genlab {rel:.2e}")
