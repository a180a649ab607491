#!/usr/bin/env python3
"""The anchor of bench/train_b32.ts: a CLIP vision tower at ViT-B/32 shape (224 px, patch 32,
width 768, 12 layers, 12 heads, MLP 3072, quick-GELU, pre/post layernorm, class token; the tensor
layout of Hugging Face's CLIPVisionModel) + visual projection (768 -> 512, no bias) + a linear
head on the L2-normalised features, seeded random weights. Modes:
  full   every vision, projection and head parameter trains (Adam)
  lora   LoRA r=16, alpha 32, dropout 0.1 on q_proj and v_proj (PEFT's defaults as fbw's) + the head
  infer  forward only (no_grad)
Prints one JSON line {"mode", "threads", "img_s", "img_cpu_s", "peak_rss_mb", "loss", "trained"}; peak
RSS is the whole process's VmHWM. Threads are fixed by the caller (OMP/OPENBLAS_NUM_THREADS + --threads)."""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoraLinear(nn.Module):
    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.a.t() @ self.b.t()) * self.scale


class Layer(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.heads = heads
        self.layer_norm1 = nn.LayerNorm(d)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, mlp)
        self.fc2 = nn.Linear(mlp, d)

    def forward(self, x):
        b, t, d = x.shape
        h, hd = self.heads, d // self.heads
        y = self.layer_norm1(x)
        q = (self.q_proj(y) * hd ** -0.5).reshape(b, t, h, hd).transpose(1, 2)
        k = self.k_proj(y).reshape(b, t, h, hd).transpose(1, 2)
        v = self.v_proj(y).reshape(b, t, h, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        x = x + self.out_proj((a @ v).transpose(1, 2).reshape(b, t, d))
        u = self.fc1(self.layer_norm2(x))
        return x + self.fc2(u * torch.sigmoid(1.702 * u))


class ClipVisionB32(nn.Module):
    def __init__(self, image=224, patch=32, d=768, layers=12, heads=12, mlp=3072, proj=512, classes=10):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, d, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d) * d ** -0.5)
        self.position_embedding = nn.Parameter(torch.randn((image // patch) ** 2 + 1, d) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(d)
        self.layers = nn.ModuleList([Layer(d, heads, mlp) for _ in range(layers)])
        self.post_layernorm = nn.LayerNorm(d)
        self.visual_projection = nn.Linear(d, proj, bias=False)
        self.head = nn.Linear(proj, classes)

    def forward(self, x):
        e = self.patch_embedding(x).flatten(2).transpose(1, 2)
        h = torch.cat([self.class_embedding.expand(e.shape[0], 1, -1), e], 1) + self.position_embedding
        h = self.pre_layrnorm(h)
        for layer in self.layers:
            h = layer(h)
        f = self.visual_projection(self.post_layernorm(h[:, 0]))
        return self.head(F.normalize(f, dim=-1))


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["full", "lora", "infer"], default="full")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ClipVisionB32()
    if a.mode == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            layer.q_proj = LoraLinear(layer.q_proj, 16, 32, 0.1)
            layer.v_proj = LoraLinear(layer.v_proj, 16, 32, 0.1)
        for p in model.head.parameters():
            p.requires_grad_(True)
    trained = [p for p in model.parameters() if p.requires_grad]
    x = torch.randn(a.batch, 3, 224, 224)
    y = torch.randint(0, 10, (a.batch,))
    loss = float("nan")
    if a.mode == "infer":
        model.eval()
        with torch.no_grad():
            for _ in range(a.warmup):
                model(x)
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(a.steps):
                model(x)
    else:
        opt = torch.optim.Adam(trained, lr=1e-5)

        def step():
            opt.zero_grad(set_to_none=True)
            l = F.cross_entropy(model(x), y)
            l.backward()
            opt.step()
            return l.item()

        for _ in range(a.warmup):
            step()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.steps):
            loss = step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"mode": a.mode, "threads": a.threads, "img_s": a.batch * a.steps / wall, "img_cpu_s": a.batch * a.steps / cpu,
                      "peak_rss_mb": peak_rss_mb(), "loss": None if math.isnan(loss) else loss, "trained": sum(p.numel() for p in trained)}))


if __name__ == "__main__":
    main()
