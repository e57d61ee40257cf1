#!/usr/bin/env python3
"""Peer timing: genlab's fid_lenet network (package fidlenet) in PyTorch on CPU.

The network is fidlenet/lenet.go (DefaultConfig, float32, NCHW):
  x (1x28x28) -> conv5x5(8, pad 2) -> ReLU -> maxpool 2 -> conv5x5(16, pad 2) -> ReLU -> maxpool 2
              -> flatten (16*7*7) -> linear(128) -> ReLU  [features] -> linear(10)  [logits]
Two timings, each the same work as the Go benchmark of the same name (fidlenet/train_test.go):
  train:    BenchmarkTrainStep, batch 64: uint8 pixels -> [-1, 1] (p/127.5 - 1), one-hot labels,
            forward to the logits, mean softmax cross-entropy, backward, Adam(lr=1e-3, no decay).
  features: BenchmarkFeatures, one batch of 200 (fidlenet.DefaultExtractBatch): pixels -> [-1, 1],
            forward to the 128 ReLU features without gradients, copied out as float64.
Prints 'peer torch lenet mode=.. batch=.. threads=.. params=.. step_ms=.. cpu_ms=.. images_per_s=..'
(wall and process CPU time per step, mean over --steps steps after --warmup steps; images/s from wall).

Install on Debian: apt-get install -y python3-torch ; run with /usr/bin/python3.
"""
import argparse
import math
import time

import torch
import torch.nn.functional as Fn


class LeNet(torch.nn.Module):
    def __init__(self, c1=8, c2=16, hidden=128, classes=10):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, c1, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(c1, c2, 5, padding=2)
        self.fc1 = torch.nn.Linear(49 * c2, hidden)
        self.fc2 = torch.nn.Linear(hidden, classes)
        with torch.no_grad():  # genlab's init: He-normal, sqrt(1/fan_in) for the logits, zero biases
            self.conv1.weight.normal_(0, math.sqrt(2 / 25))
            self.conv2.weight.normal_(0, math.sqrt(2 / (25 * c1)))
            self.fc1.weight.normal_(0, math.sqrt(2 / (49 * c2)))
            self.fc2.weight.normal_(0, math.sqrt(1 / hidden))
            for m in (self.conv1, self.conv2, self.fc1, self.fc2):
                m.bias.zero_()

    def features(self, x):
        h = Fn.max_pool2d(Fn.relu(self.conv1(x)), 2, 2)
        h = Fn.max_pool2d(Fn.relu(self.conv2(h)), 2, 2)
        return Fn.relu(self.fc1(h.flatten(1)))

    def forward(self, x):
        return self.fc2(self.features(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["train", "features"], default="train")
    ap.add_argument("--batch", type=int, default=0, help="default: 64 (train), 200 (features)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    batch = a.batch or (64 if a.mode == "train" else 200)
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)

    net = LeNet()
    params = sum(p.numel() for p in net.parameters())
    pix = torch.randint(0, 256, (batch, 1, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (batch,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train_step():
        x = pix.float() / 127.5 - 1
        y = Fn.one_hot(labels, 10).float()
        loss = -(y * Fn.log_softmax(net(x), dim=1)).sum() / batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def features_step():
        with torch.no_grad():
            x = pix.float() / 127.5 - 1
            return net.features(x).double()

    step = train_step if a.mode == "train" else features_step
    for _ in range(a.warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    wall = (time.perf_counter() - t0) / a.steps
    cpu = (time.process_time() - c0) / a.steps
    print(f"peer torch lenet mode={a.mode} batch={batch} threads={torch.get_num_threads()} params={params} "
          f"step_ms={wall * 1000:.2f} cpu_ms={cpu * 1000:.2f} images_per_s={batch / wall:.0f}")


if __name__ == "__main__":
    main()
