#!/usr/bin/env python3
"""Peer timing: sampling with genlab's nn.UNet in PyTorch on CPU, forward only.

The network is bench/torch_unet_step.py's UNet (nn/unet.go layer for layer). Sampling is EDM's
deterministic Heun sampler (Karras et al. 2022, Algorithm 1 without churn) on the rho = 7 grid from
sigma_max = 80 to sigma_min = 0.002 with --steps steps (NFE = 2*steps - 1), under torch.no_grad(),
with EDM's preconditioning (sigma_data = 0.5): D(x; s) = c_skip x + c_out F(c_in x; ln(s)/4).
Weights are the init's with a random (nonzero) output layer, so that the work is real; the
samples themselves mean nothing. --n samples are drawn in batches of --batch.
genlab's side is nn's BenchmarkSampleUNet (the same sampler through diffusion.Heun and
diffusion.NetDenoiser at the same batch).

Prints 'peer torch unet-sample res=.. ch=.. batch=.. n=.. nfe=.. threads=.. total_ms=.. cpu_ms=..
forward_ms=..' (wall and process CPU of the whole run; forward_ms the wall per network call).

Install on Debian: apt-get install -y python3-torch ; run with /usr/bin/python3.
"""
import argparse
import importlib.util
import os
import time

import torch

spec = importlib.util.spec_from_file_location(
    "torch_unet_step", os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_unet_step.py"))
step_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(step_mod)


def sigmas(steps, smin=0.002, smax=80.0, rho=7.0):
    i = torch.arange(steps, dtype=torch.float64)
    s = (smax ** (1 / rho) + i / (steps - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", type=int, default=14)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--steps", type=int, default=18)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    net = step_mod.UNet(1, a.res, a.res, a.channels)
    with torch.no_grad():
        net.conv_out.weight.normal_(0, 0.05)
    net.eval()
    dim = a.res * a.res
    sd = 0.5
    grid = sigmas(a.steps)
    calls = 0

    def denoise(x, s):
        nonlocal calls
        calls += 1
        s2 = s * s + sd * sd
        c_skip, c_out, c_in = sd * sd / s2, s * sd / s2 ** 0.5, 1 / s2 ** 0.5
        cn = torch.full((x.shape[0],), float(torch.log(torch.tensor(s)) / 4), dtype=torch.float32)
        f = net((x * c_in).float(), cn).double()
        return c_skip * x + c_out * f

    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for lo in range(0, a.n, a.batch):
            b = min(a.batch, a.n - lo)
            x = torch.randn(b, dim, dtype=torch.float64) * grid[0]
            for i in range(a.steps):
                s, sn = float(grid[i]), float(grid[i + 1])
                d = (x - denoise(x, s)) / s
                xn = x + (sn - s) * d
                if sn > 0:
                    d2 = (xn - denoise(xn, sn)) / sn
                    xn = x + (sn - s) * (d + d2) / 2
                x = xn
    total = (time.perf_counter() - t0) * 1000
    cpu = (time.process_time() - c0) * 1000
    nfe = 2 * a.steps - 1
    print(f"peer torch unet-sample res={a.res} ch={a.channels} batch={a.batch} n={a.n} nfe={nfe} "
          f"threads={torch.get_num_threads()} total_ms={total:.1f} cpu_ms={cpu:.1f} forward_ms={total / calls:.2f}")


if __name__ == "__main__":
    main()
