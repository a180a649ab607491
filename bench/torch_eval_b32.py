#!/usr/bin/env python3
"""The anchor of bench/eval_b32.ts: zero-shot evaluation of a Hugging Face CLIP folder
(config.json + model.safetensors, read here with numpy) on an ImageFolder test split, the way
FusionBench's CLIP task pool does it with transformers: text tower on the class prompts (token ids
given, padded to the longest prompt) -> normalised, averaged per class -> head; images decoded by
PIL, CLIPImageProcessor's resize (shortest side, bicubic) + centre crop + normalisation, vision tower
+ projection, logits = logit_scale * cos. Prints one JSON line: images/s of the image loop, head
seconds, accuracy, mean loss, predictions, peak RSS (VmHWM) of the whole process.
usage: torch_eval_b32.py MODEL_DIR DATA_ROOT PROMPTS_JSON [--batch 128] [--threads 1]"""
import argparse
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            assert info["dtype"] == "F32", info["dtype"]
            a, b = info["data_offsets"]
            f.seek(base + a)
            out[name] = torch.from_numpy(np.frombuffer(f.read(b - a), dtype=np.float32).copy()).reshape(info["shape"])
        return out


def layer_norm(x, sd, p, eps):
    return F.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)


def linear(x, sd, p, bias=True):
    return F.linear(x, sd[p + ".weight"], sd[p + ".bias"] if bias else None)


def encoder(h, sd, prefix, cfg, mask=None):
    b, t, d = h.shape
    heads = cfg["num_attention_heads"]
    dh = d // heads
    eps = cfg.get("layer_norm_eps", 1e-5)
    for i in range(cfg["num_hidden_layers"]):
        l = f"{prefix}.encoder.layers.{i}"
        y = layer_norm(h, sd, l + ".layer_norm1", eps)
        q = (linear(y, sd, l + ".self_attn.q_proj") * dh ** -0.5).reshape(b, t, heads, dh).transpose(1, 2)
        k = linear(y, sd, l + ".self_attn.k_proj").reshape(b, t, heads, dh).transpose(1, 2)
        v = linear(y, sd, l + ".self_attn.v_proj").reshape(b, t, heads, dh).transpose(1, 2)
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        o = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, d)
        h = h + linear(o, sd, l + ".self_attn.out_proj")
        u = linear(layer_norm(h, sd, l + ".layer_norm2", eps), sd, l + ".mlp.fc1")
        h = h + linear(u * torch.sigmoid(1.702 * u), sd, l + ".mlp.fc2")
    return h


def encode_text(ids, eot, sd, cfg):
    n, t = ids.shape
    h = sd["text_model.embeddings.token_embedding.weight"][ids] + sd["text_model.embeddings.position_embedding.weight"][:t]
    mask = torch.full((t, t), float("-inf")).triu(1)
    h = encoder(h, sd, "text_model", cfg["text_config"], mask)
    h = layer_norm(h, sd, "text_model.final_layer_norm", cfg["text_config"].get("layer_norm_eps", 1e-5))
    return F.linear(h[torch.arange(n), eot], sd["text_projection.weight"])


def encode_image(x, sd, cfg):
    v = cfg["vision_config"]
    e = F.conv2d(x, sd["vision_model.embeddings.patch_embedding.weight"], stride=v["patch_size"]).flatten(2).transpose(1, 2)
    cls = sd["vision_model.embeddings.class_embedding"].expand(x.shape[0], 1, -1)
    h = torch.cat([cls, e], 1) + sd["vision_model.embeddings.position_embedding.weight"]
    eps = v.get("layer_norm_eps", 1e-5)
    h = layer_norm(h, sd, "vision_model.pre_layrnorm", eps)
    h = encoder(h, sd, "vision_model", v)
    return F.linear(layer_norm(h[:, 0], sd, "vision_model.post_layernorm", eps), sd["visual_projection.weight"])


def preprocess(path, size):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    # transformers' get_resize_output_image_size(shortest_edge, default_to_square=False): int() truncates
    nw, nh = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
    im = im.resize((nw, nh), Image.BICUBIC)
    # CLIPImageProcessor.center_crop
    top, left = (nh - size) // 2, (nw - size) // 2
    im = im.crop((left, top, left + size, top + size))
    a = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0)
    return ((a - torch.tensor(MEAN)) / torch.tensor(STD)).permute(2, 0, 1)


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("prompts")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()
    with torch.no_grad():
        cfg = json.load(open(os.path.join(a.model, "config.json")))
        sd = load_safetensors(os.path.join(a.model, "model.safetensors"))
        p = json.load(open(a.prompts))
        t0 = time.perf_counter()
        ids = torch.tensor(p["ids"], dtype=torch.long).reshape(len(p["eot"]), -1)
        eot = torch.tensor(p["eot"], dtype=torch.long)
        feats = []
        for i in range(0, ids.shape[0], 64):
            e = eot[i:i + 64]
            feats.append(F.normalize(encode_text(ids[i:i + 64, :int(e.max()) + 1], e, sd, cfg), dim=-1))
        per = p["templates"]
        w = F.normalize(torch.cat(feats).reshape(-1, per, cfg["projection_dim"]).mean(1), dim=-1)
        head_s = time.perf_counter() - t0
        scale = min(float(sd["logit_scale"].exp()), 100.0)
        test = os.path.join(a.data, "test")
        classes = sorted(os.listdir(test))
        files = [(os.path.join(test, c, f), ci) for ci, c in enumerate(classes) for f in sorted(os.listdir(os.path.join(test, c)))]
        size = cfg["vision_config"]["image_size"]
        t0 = time.perf_counter()
        correct, loss_sum, preds = 0, 0.0, []
        for i in range(0, len(files), a.batch):
            part = files[i:i + a.batch]
            x = torch.stack([preprocess(f, size) for f, _ in part])
            y = torch.tensor([c for _, c in part])
            logits = scale * F.normalize(encode_image(x, sd, cfg), dim=-1) @ w.t()
            pr = logits.argmax(1)
            preds += pr.tolist()
            correct += int((pr == y).sum())
            loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
        eval_s = time.perf_counter() - t0
    print(json.dumps({"images": len(files), "img_s": len(files) / eval_s, "head_s": head_s, "total_s": time.perf_counter() - t_start,
                      "accuracy": correct / len(files), "loss": loss_sum / len(files), "preds": preds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
