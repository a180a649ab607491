#!/usr/bin/env python3
"""The anchor of bench/train_throughput.ts: the same tiny ViT as bench/_tinyvit.ts in PyTorch
(32x32x3, patch 4, width 64, depth 4, 4 heads, MLP 256, quick-GELU, pre-norm, CLS token,
10 classes, 208,138 parameters), trained with Adam on a fixed random batch. Prints one JSON line:
{"threads", "params", "train_img_s", "infer_img_s", "train_img_cpu_s", "infer_img_cpu_s"} (the
last two per second of process CPU time, which a machine shared with other work disturbs less). Thread counts are fixed by the caller through
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS and --threads."""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.o = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        b, t, d = x.shape
        h, hd = self.heads, d // self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, h, hd).permute(2, 0, 3, 1, 4)
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        x = x + self.o((p @ v).transpose(1, 2).reshape(b, t, d))
        u = self.fc1(self.ln2(x))
        return x + self.fc2(u * torch.sigmoid(1.702 * u))


class TinyViT(nn.Module):
    def __init__(self, image=32, patch=4, dim=64, depth=4, heads=4, mlp=256, classes=10):
        super().__init__()
        n = (image // patch) ** 2
        self.patch = nn.Conv2d(3, dim, patch, patch, bias=False)
        self.cls = nn.Parameter(torch.randn(dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(n + 1, dim) * 0.02)
        self.pre = nn.LayerNorm(dim)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.post = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        e = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(e.shape[0], 1, -1), e], 1) + self.pos
        x = self.pre(x)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.post(x[:, 0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--infer-iters", type=int, default=6)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = TinyViT()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 3, 32, 32)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    train = a.batch * a.steps / (time.perf_counter() - t0)
    train_cpu = a.batch * a.steps / (time.process_time() - c0)

    xi = torch.randn(a.infer_batch, 3, 32, 32)
    with torch.no_grad():
        model(xi)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.infer_iters):
            model(xi)
        infer = a.infer_batch * a.infer_iters / (time.perf_counter() - t0)
        infer_cpu = a.infer_batch * a.infer_iters / (time.process_time() - c0)
    print(json.dumps({"threads": a.threads, "params": params, "train_img_s": train, "infer_img_s": infer,
                      "train_img_cpu_s": train_cpu, "infer_img_cpu_s": infer_cpu}))


if __name__ == "__main__":
    main()
