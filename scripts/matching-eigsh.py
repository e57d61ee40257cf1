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
    walls, cpus = [], []
    for rep in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        vals, vecs = eigsh(L, k=100, M=M, sigma=-0.01)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    go = np.loadtxt(os.path.join(d, f"evals_go_{n}.txt"))
    vals = np.sort(vals)
    rel = np.max(np.abs(vals[1:] - go[1:]) / vals[1:])
    print(f"scipy {scipy.__version__} eigsh n={n} k=100: wall {np.mean(walls):.3f} s/op, cpu {np.mean(cpus):.3f} cpu-s/op (mean of 3); "
          f"max rel. eigenvalue diff vs genlab {rel:.2e}")
