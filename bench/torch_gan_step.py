#!/usr/bin/env python3
"""Peer timing: one training iteration of genlab's Householder-experiment GAN in PyTorch on CPU.

The networks are householder/gan (gen.go, gan.go, graph.go, reg.go) as its BenchmarkGANStep and
BenchmarkGANStepSpec build them (float32, NCHW, 32x32 greyscale):

  shape    const  G channels (8/16/32 px)  D channels (32/16/8/4 px)  batch  G params  D params
  default  16     16/16/8                  8/16/32/32                 16     19787     15649
  spec     32     32/32/16                 16/32/32/32                32     56195     23809

both with z 8, w 16, mapping width 64 and lr multiplier 0.01, HP projectors of rank k = 5 on layers 0 and 3.

Generator
  mapping   x = z / sqrt(mean_j z_j^2 + 1e-8)                              (pixel norm)
            x = lrelu(x * (m/sqrt(in)) @ W_i + m * B_i)  for i = 0, 1      8 -> 64 -> 64, m = 0.01
            w = x * (m/sqrt(in)) @ W_2 + m * B_2                           64 -> 16 (no activation)
            lrelu(a) = sqrt(2) * (a if a >= 0 else 0.2 a); W_i ~ N(0, 1/m^2), B_i = 0
  constant  a learned 1 x const x 4 x 4 tensor ~ N(0, 1), repeated over the batch
  blocks    for the side 8, 16, 32 (block b, channels ch_b): x = up2(x), img = up2(img) (nearest x2), then
              conv1  x = lrelu(modconv3x3(x, w))       cin -> ch_b, demodulated         (layer 3b)
              conv2  x = lrelu(modconv3x3(x, w))       ch_b -> ch_b, demodulated        (layer 3b+1)
              grey   img = img + modconv1x1(x, w)      ch_b -> 1, no demodulation      (layer 3b+2)
            (img starts at 0: the first block's grey output is the image; every slot gets the same w)
  modconv   s = A w + b: the style affine, C = the layer's input channels, d = 16, b initialised to 1;
            plain: A = W^T / sqrt(d) with W (d x C) ~ N(0, 1) (equalised learning rate)
            HP (layers 0 and 3): A = O(P_U) S O(P_V) (C x d), no gain, P_U (C x C), P_V (d x d) ~ N(0, 0.05^2),
              O(P) = H(p_1) H(p_2) ... H(p_n), H(p) = I - 2 p p^T / |p|^2, S_ii = 1 for i < k else 0;
              built in float64 and differentiated through the reflections by autograd, like genlab's
              householder.BuildW / BuildWBackward (which this script does not call: see below)
            y = conv(x * s, Wc) (padding (k-1)/2, no bias; Wc ~ N(0, 1), cout x cin x k x k)
            demodulated: y = y * (s^2 @ (sum_uv Wc^2)^T + 1e-8)^(-1/2), per image and output channel
            grey: Wc is scaled by 1/sqrt(cin) and there is no demodulation
            then + bias (init 0), and lrelu for the 3x3 layers
Discriminator (gan.go: He-normal init, biases 0, no equalised lr)
            x -> conv3x3 stride 1 (1 -> c0) -> three conv3x3 stride 2 (c0 -> c1 -> c2 -> c3) down to 4x4,
            each + bias then leaky ReLU 0.2 (gain 1), flatten (c3*16), linear -> 1 logit.

Iteration (GAN.Step with TrainConfig{Batch, LR 2e-3, Beta2 0.99, R1Gamma 1, R1Every 16, EMAHalfLife
10000}; no mixing, noise inputs or path length):
  1. D step: fake = G(z) without gradient, z ~ N(0, I); loss_D = mean softplus(D(fake)) +
     mean softplus(-D(real)), D run on the fake batch and then on the real batch (two passes of
     batch B, as genlab), backward, Adam step of D.
  2. lazy R1, on iterations t with t % 16 == 0 (t counts from 1): g = grad_x sum_i D(x_i) on the
     real batch with create_graph=True, R1 = (gamma/2) mean_i |g_i|^2, backward of 16 * R1 with
     respect to D's weights only (genlab's r1Graph: the biases get a zero gradient, which is what
     reaches Adam here too), and a second Adam step of D.
  3. G step: loss_G = mean softplus(-D(G(z))) for a fresh z, backward into G only (D frozen), Adam step of G.
  4. EMA: ema = beta * ema + (1 - beta) * p over all G parameters, beta = 0.5^(B/10000).
  Adam (torch's, whose update is nn.Adam's formula): G lr 2e-3, betas (0, 0.99), eps 1e-8; D uses
  StyleGAN2's lazy-regularisation ratio r = 16/17 as genlab: lr 2e-3 * r, betas (0, 0.99^r).
  (G's ratio is 1: genlab applies one to G only with the path-length regulariser, off here.)

Timing: --warmup iterations (numbered 1..warmup, the last one also running R1 so that the first
double backward is not timed), then --steps iterations numbered again from 1, so the timed window
holds floor(steps/16) R1 steps: the same as Go's `-benchtime <steps>x`, whose measured b.N round
starts a fresh GAN at Iter = 0. Prints
  'peer torch gan shape=.. const=.. g=../../.. d=../../../.. batch=.. threads=.. g_params=.. d_params=..
   r1_steps=.. step_ms=.. cpu_ms=..'
(wall and process CPU time per iteration, the mean over the timed iterations). The parameter counts
are checked against genlab's (the table above, or --expect-g/--expect-d): a mismatch exits with
status 1 before timing.

Not reproduced exactly (none changes the work of an iteration beyond small elementwise ops):
  - genlab's real batch is spriteBatch (sprites in [-1, 1]); here uniform noise in [-1, 1] of the same
    shape, and torch's RNG, so no value matches genlab's run; only shapes and work do.
  - genlab builds the HP weight A outside its graph in float64 (householder.BuildW, gonum) and
    back-propagates with the hand-written BuildWBackward; here the same reflections run as torch
    float64 ops under autograd. Only the first k columns of O(P_U) and the first k rows of O(P_V)
    are formed (A = U_k V_k^T needs no more), each still by all n reflections, one after the other.
  - genlab fuses the leaky ReLU and its gain into one op; here leaky_relu then a multiply. genlab
    repeats the constant over the batch with a matmul by a column of ones; here expand (a view).
  - genlab's D step also computes the discarded input gradient of D on both passes (its dGraph always
    differentiates with respect to x), and the R1 step's first pass computes D's parameter gradients
    it throws away; torch does neither.
  - torch's Adam keeps one step count per parameter; all parameters here get a gradient on every
    step, so the counts stay equal, as genlab's single count.
  - float32 parameters and activations as genlab; genlab converts gradients to float64 and back
    between its graphs and Adam, and forms the EMA in float64 per element; torch stays in float32.
  - Go's benchStep times from the first iteration of a fresh GAN (its graphs are compiled before
    the timer starts, but the first run's allocations are timed); this peer warms up first.

Install on Debian: apt-get install -y python3-torch ; run with /usr/bin/python3.
"""
import argparse
import copy
import math
import sys
import time

import torch
import torch.nn.functional as Fn

SHAPES = {  # name: (const, G channels, D channels, batch, G params, D params)
    "default": (16, (16, 16, 8), (8, 16, 32, 32), 16, 19787, 15649),
    "spec": (32, (32, 32, 16), (16, 32, 32, 32), 32, 56195, 23809),
}
Z_DIM, W_DIM, MAP_HIDDEN, MAP_LRMUL = 8, 16, 64, 0.01
HP_LAYERS, HP_K = (0, 3), 5
RES = 32
LR, BETA2, R1_GAMMA, R1_EVERY, EMA_HALF_LIFE = 2e-3, 0.99, 1.0, 16, 10000.0
SQRT2 = math.sqrt(2)


def lrelu(x, gain):
    """gain * leaky ReLU with slope 0.2."""
    y = Fn.leaky_relu(x, 0.2)
    return y * gain if gain != 1 else y


def reflect_cols(y, p, order):
    """Applies H(p_j) = I - 2 u u^T (u = p_j/|p_j|) to the columns of y for j in order."""
    u = p / p.norm(dim=0, keepdim=True)
    for j in order:
        uj = u[:, j]
        y = torch.addr(y, uj, uj @ y, alpha=-2.0)
    return y


def build_w(pu, pv, k):
    """A = O(P_U) S O(P_V) = U_k V_k^T (C x d), float64, differentiable in P_U and P_V.

    U_k = O(P_U) I[:, :k] applies H(p_n), ..., H(p_1) in that order to the first k unit columns;
    V_k = O(P_V)^T I[:, :k] applies H(p_1), ..., H(p_n) (H is symmetric).
    """
    c, d = pu.shape[0], pv.shape[0]
    uk = reflect_cols(torch.eye(c, k, dtype=pu.dtype), pu, range(c - 1, -1, -1))
    vk = reflect_cols(torch.eye(d, k, dtype=pv.dtype), pv, range(d))
    return uk @ vk.t()


class Affine(torch.nn.Module):
    """Style affine s = A w + b (C outputs); plain (equalised lr) or HP of rank k."""

    def __init__(self, d, c, hp_k=0):
        super().__init__()
        self.d, self.k = d, hp_k
        if hp_k:
            self.pu = torch.nn.Parameter(torch.randn(c, c) * 0.05)
            self.pv = torch.nn.Parameter(torch.randn(d, d) * 0.05)
        else:
            self.w = torch.nn.Parameter(torch.randn(d, c))
        self.b = torch.nn.Parameter(torch.ones(c))

    def forward(self, w):
        if self.k:
            a = build_w(self.pu.double(), self.pv.double(), self.k).float()  # C x d
            return torch.addmm(self.b, w, a.t())
        return torch.addmm(self.b, w * (1 / math.sqrt(self.d)), self.w)


class StyleLayer(torch.nn.Module):
    """Modulated conv: y = demod * conv(x * s, Wc) + bias (3x3, then lrelu), or the 1x1 to-grey."""

    def __init__(self, cin, cout, k, demod, hp_k):
        super().__init__()
        self.affine = Affine(W_DIM, cin, hp_k)
        self.weight = torch.nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = torch.nn.Parameter(torch.zeros(cout))
        self.demod, self.pad, self.cin = demod, (k - 1) // 2, cin

    def forward(self, x, w):
        s = self.affine(w)
        xs = x * s[:, :, None, None]
        wc = self.weight if self.demod else self.weight * (1 / math.sqrt(self.cin))
        y = Fn.conv2d(xs, wc, padding=self.pad)
        if self.demod:
            wsq = self.weight.square().sum(dim=(2, 3))  # cout x cin
            d = (s.square() @ wsq.t() + 1e-8).rsqrt()
            y = y * d[:, :, None, None]
        y = y + self.bias[None, :, None, None]
        return lrelu(y, SQRT2) if self.demod else y


class Generator(torch.nn.Module):
    def __init__(self, const_ch, channels):
        super().__init__()
        dims = [Z_DIM, MAP_HIDDEN, MAP_HIDDEN, W_DIM]
        self.map_w = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(dims[i], dims[i + 1]) / MAP_LRMUL) for i in range(3)])
        self.map_b = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(dims[i + 1])) for i in range(3)])
        self.const = torch.nn.Parameter(torch.randn(1, const_ch, 4, 4))
        layers, cin = [], const_ch
        for ch in channels:
            for cfg in ((cin, ch, 3, True), (ch, ch, 3, True), (ch, 1, 1, False)):
                hp = HP_K if len(layers) in HP_LAYERS else 0
                layers.append(StyleLayer(*cfg, hp))
            cin = ch
        self.layers = torch.nn.ModuleList(layers)

    def mapping(self, z):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for i, (w, b) in enumerate(zip(self.map_w, self.map_b)):
            x = torch.addmm(b * MAP_LRMUL, x * (MAP_LRMUL / math.sqrt(w.shape[0])), w)
            if i < 2:
                x = lrelu(x, SQRT2)
        return x

    def forward(self, z):
        w = self.mapping(z)
        x = self.const.expand(z.shape[0], -1, -1, -1)
        img = None
        for b in range(len(self.layers) // 3):
            x = Fn.interpolate(x, scale_factor=2, mode="nearest")
            if img is not None:
                img = Fn.interpolate(img, scale_factor=2, mode="nearest")
            x = self.layers[3 * b](x, w)
            x = self.layers[3 * b + 1](x, w)
            y = self.layers[3 * b + 2](x, w)
            img = y if img is None else img + y
        return img


class Discriminator(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        convs, cin = [], 1
        for i, c in enumerate(channels):
            conv = torch.nn.Conv2d(cin, c, 3, stride=1 if i == 0 else 2, padding=1)
            with torch.no_grad():
                conv.weight.normal_(0, math.sqrt(2 / (cin * 9)))
                conv.bias.zero_()
            convs.append(conv)
            cin = c
        self.convs = torch.nn.ModuleList(convs)
        self.out_w = torch.nn.Parameter(torch.randn(cin * 16, 1) * math.sqrt(2 / (cin * 16)))
        self.out_b = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        for c in self.convs:
            x = lrelu(c(x), 1)
        return torch.addmm(self.out_b, x.flatten(1), self.out_w).view(-1)

    def weights(self):
        return [c.weight for c in self.convs] + [self.out_w]


def count(m):
    return sum(p.numel() for p in m.parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="default")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--expect-g", type=int, default=None, help="expected G parameters (default: genlab's for --shape; 0: no check)")
    ap.add_argument("--expect-d", type=int, default=None, help="expected D parameters (default: genlab's for --shape; 0: no check)")
    a = ap.parse_args()
    const_ch, gch, dch, batch, want_g, want_d = SHAPES[a.shape]
    want_g = want_g if a.expect_g is None else a.expect_g
    want_d = want_d if a.expect_d is None else a.expect_d
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    gen = Generator(const_ch, gch)
    disc = Discriminator(dch)
    ema = copy.deepcopy(gen).requires_grad_(False)
    ng, nd = count(gen), count(disc)
    if (want_g and ng != want_g) or (want_d and nd != want_d):
        print(f"torch_gan_step.py: shape {a.shape}: {ng} G / {nd} D parameters, expected {want_g} G / {want_d} D (0: unchecked)",
              file=sys.stderr)
        sys.exit(1)
    for i in HP_LAYERS:  # A must be rank k with singular values 1
        af = gen.layers[i].affine
        sv = torch.linalg.svdvals(build_w(af.pu.detach().double(), af.pv.detach().double(), af.k))
        ok = torch.allclose(sv[:HP_K], torch.ones(HP_K, dtype=sv.dtype), atol=1e-9) and float(sv[HP_K:].abs().max()) < 1e-9
        if not ok:
            print(f"torch_gan_step.py: HP layer {i}: singular values {sv.tolist()}, want {HP_K} ones", file=sys.stderr)
            sys.exit(1)

    r = R1_EVERY / (R1_EVERY + 1)
    opt_g = torch.optim.Adam(gen.parameters(), lr=LR, betas=(0.0, BETA2), eps=1e-8)
    opt_d = torch.optim.Adam(disc.parameters(), lr=LR * r, betas=(0.0, BETA2 ** r), eps=1e-8)
    beta = 0.5 ** (batch / EMA_HALF_LIFE)
    real = torch.rand(batch, 1, RES, RES) * 2 - 1
    gparams, eparams = list(gen.parameters()), list(ema.parameters())

    def r1_step():
        disc.requires_grad_(True)
        x = real.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(disc(x).sum(), x, create_graph=True)
        pen = 0.5 * R1_GAMMA * g.square().sum(dim=(1, 2, 3)).mean()
        opt_d.zero_grad(set_to_none=False)  # biases keep a zero gradient, as genlab's
        (pen * R1_EVERY).backward(inputs=disc.weights())
        opt_d.step()

    def step(t, r1):
        disc.requires_grad_(True)
        with torch.no_grad():
            fake = gen(torch.randn(batch, Z_DIM))
        loss_d = Fn.softplus(disc(fake)).mean() + Fn.softplus(-disc(real)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        if r1:
            r1_step()
        disc.requires_grad_(False)
        loss_g = Fn.softplus(-disc(gen(torch.randn(batch, Z_DIM)))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for e, p in zip(eparams, gparams):
                e.lerp_(p, 1 - beta)
        return loss_d.item(), loss_g.item()

    for t in range(1, a.warmup + 1):
        step(t, t % R1_EVERY == 0 or t == a.warmup)
    n_r1 = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(1, a.steps + 1):
        r1 = t % R1_EVERY == 0
        n_r1 += r1
        ld, lg = step(t, r1)
    ms = (time.perf_counter() - t0) / a.steps * 1000
    cpu = (time.process_time() - c0) / a.steps * 1000
    if not (math.isfinite(ld) and math.isfinite(lg)):
        print(f"torch_gan_step.py: non-finite losses D {ld}, G {lg}", file=sys.stderr)
        sys.exit(1)
    print(f"peer torch gan shape={a.shape} const={const_ch} g={'/'.join(map(str, gch))} d={'/'.join(map(str, dch))} "
          f"batch={batch} threads={torch.get_num_threads()} g_params={ng} d_params={nd} r1_steps={n_r1} "
          f"step_ms={ms:.2f} cpu_ms={cpu:.2f}")


if __name__ == "__main__":
    main()
