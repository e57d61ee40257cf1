#!/usr/bin/env python3
"""Peer timing: one training step of genlab's nn.UNet in PyTorch on CPU.

The network is nn/unet.go layer for layer (float32, NCHW):
  e  = SiLU(L2 SiLU(L1 [cos 2*pi*f*c, sin 2*pi*f*c]))     F = max(ch/2, 1) frozen freqs ~ N(0, 16^2), width E = 4ch
  h  = Conv_in(x)                                          C -> ch, HxW
  s0 = R0(h, e)                                            ch -> ch
  h  = Down(s0)          (3x3 conv, stride 2, pad 1)       ch -> ch, H/2 x W/2
  s1 = R1(h, e)                                            ch -> 2ch
  h  = M(s1, e)                                            2ch -> 2ch
  h  = U1([h, s1], e)                                      4ch -> 2ch
  h  = Conv_up(nearest x2 (h))                             2ch -> 2ch, HxW
  h  = U0([h, s0], e)                                      3ch -> ch
  F  = Conv_out(SiLU(GN(h)))                               ch -> C
Residual block (nn.ResBlock): h = Conv2(SiLU(GN2(Conv1(SiLU(GN1(x))) + A e))), y = (h + S(x))/sqrt(2),
S a 1x1 conv when cin != cout. Every conv is 3x3, padding 1, with bias; GroupNorm eps 1e-5 with
groups_for(ch) = the largest g <= min(8, ch/4) dividing ch. Init as genlab: He-normal weights, zero
biases, Conv2 at 1e-5 of He-normal, Conv_out zero.

Step (as nn's BenchmarkTrainStepUNet): fixed random x (batch x C*H*W), c (batch) and target, unit
weights, loss = mean_i sum_j (F_ij - target_ij)^2, backward, Adam(lr=1e-4).
Prints 'peer torch unet res=.. ch=.. batch=.. threads=.. params=.. step_ms=.. cpu_ms=..' (wall and
process CPU time per step, the mean over --steps steps after --warmup steps).

Install on Debian: apt-get install -y python3-torch ; run with /usr/bin/python3.
"""
import argparse
import math
import time

import torch
import torch.nn.functional as Fn


def groups_for(ch, max_groups=8):
    g = min(max_groups, ch // 4)
    while g > 1 and ch % g != 0:
        g -= 1
    return max(g, 1)


def conv(cin, cout, k=3, stride=1, gain=1.0):
    c = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2)
    with torch.no_grad():
        c.weight.normal_(0, gain * math.sqrt(2 / (cin * k * k)))
        c.bias.zero_()
    return c


def dense(cin, cout):
    d = torch.nn.Linear(cin, cout)
    with torch.no_grad():
        d.weight.normal_(0, math.sqrt(2 / cin))
        d.bias.zero_()
    return d


class ResBlock(torch.nn.Module):
    def __init__(self, cin, cout, embed):
        super().__init__()
        self.norm1 = torch.nn.GroupNorm(groups_for(cin), cin, eps=1e-5)
        self.conv1 = conv(cin, cout)
        self.emb = dense(embed, cout)
        self.norm2 = torch.nn.GroupNorm(groups_for(cout), cout, eps=1e-5)
        self.conv2 = conv(cout, cout, gain=1e-5)
        self.skip = conv(cin, cout, k=1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(Fn.silu(self.norm1(x)))
        h = h + self.emb(e)[:, :, None, None]
        h = self.conv2(Fn.silu(self.norm2(h)))
        s = self.skip(x) if self.skip is not None else x
        return (h + s) * math.sqrt(0.5)


class UNet(torch.nn.Module):
    def __init__(self, c, h, w, ch):
        super().__init__()
        self.c, self.h, self.w = c, h, w
        e = 4 * ch
        fourier = max(ch // 2, 1)
        self.register_buffer("freqs", torch.randn(fourier) * 16.0)  # frozen, as genlab's
        self.map1 = dense(2 * fourier, e)
        self.map2 = dense(e, e)
        self.conv_in = conv(c, ch)
        self.enc0 = ResBlock(ch, ch, e)
        self.down = conv(ch, ch, stride=2)
        self.enc1 = ResBlock(ch, 2 * ch, e)
        self.mid = ResBlock(2 * ch, 2 * ch, e)
        self.dec1 = ResBlock(4 * ch, 2 * ch, e)
        self.up = conv(2 * ch, 2 * ch)
        self.dec0 = ResBlock(3 * ch, ch, e)
        self.norm_out = torch.nn.GroupNorm(groups_for(ch), ch, eps=1e-5)
        self.conv_out = conv(ch, c, gain=0.0)

    def forward(self, x, cn):
        ang = cn[:, None] * self.freqs[None, :] * (2 * math.pi)
        e = torch.cat([torch.cos(ang), torch.sin(ang)], dim=1)
        e = Fn.silu(self.map2(Fn.silu(self.map1(e))))
        h = self.conv_in(x.view(-1, self.c, self.h, self.w))
        s0 = self.enc0(h, e)
        s1 = self.enc1(self.down(s0), e)
        h = self.mid(s1, e)
        h = self.dec1(torch.cat([h, s1], dim=1), e)
        h = self.up(Fn.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.dec0(torch.cat([h, s0], dim=1), e)
        h = self.conv_out(Fn.silu(self.norm_out(h)))
        return h.reshape(x.shape[0], -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", type=int, default=28)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    net = UNet(1, a.res, a.res, a.channels)
    params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    dim = a.res * a.res
    x = torch.randn(a.batch, dim)
    cn = torch.randn(a.batch)
    target = torch.randn(a.batch, dim)
    w = torch.ones(a.batch)

    def step():
        f = net(x, cn)
        loss = (w * ((f - target) ** 2).sum(dim=1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) / a.steps * 1000
    cpu = (time.process_time() - c0) / a.steps * 1000
    print(f"peer torch unet res={a.res} ch={a.channels} batch={a.batch} threads={torch.get_num_threads()} "
          f"params={params} step_ms={ms:.2f} cpu_ms={cpu:.2f}")


if __name__ == "__main__":
    main()
