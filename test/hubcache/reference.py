#!/usr/bin/python3
"""PyTorch reference for a FusionBench CLIP model-pool run, written from FusionBench's and Hugging
Face's semantics (not from fbw's code), to compare fbw's predictions with image by image.

  - merges act on the members' CLIPVisionModel state dicts (vision_model.* tensors), in float32:
    simple_average = mean of the members; task_arithmetic = base + scaling_factor * sum of task
    vectors; ties = task vectors flattened over the sorted keys, each row trimmed to its top
    `threshold` % by magnitude (kthvalue), sign elected by the sum (zeros -> majority), disjoint
    `sum` of the entries that agree, base + scaling_factor * that;
  - the merged vision tower is evaluated with the base's visual projection; the zero-shot head is
    the base text tower's normalised embedding of every (class, template) prompt, averaged over
    templates and normalised again (CLIPVisionModelTaskPool); prediction = argmax of
    image_embeds_normalised @ head^T;
  - the forward pass is transformers' CLIPModel (pre-norm ViT, quick-GELU, causal text
    transformer pooled at the end-of-text token), computed here in float64.

usage: reference.py SPEC.json OUT.json
SPEC: {base, members: [dir...], tasks: [...], merges: [{method, scaling_factor?, threshold?}],
       evals: [{model: "base"|"member:i"|"merge:j", images: file, n, size}], prompts: {ids, eot, m, classes, templates}}
"""
import json
import struct
import sys

import numpy as np
import torch

torch.set_num_threads(2)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(v["shape"])
    return out


def simple_average(members):
    return {k: sum(m[k] for m in members) / len(members) for k in members[0]}


def task_arithmetic(base, members, scaling_factor):
    return {k: base[k] + scaling_factor * sum(m[k] - base[k] for m in members) for k in members[0]}


def ties(base, members, scaling_factor, threshold):
    keys = sorted(members[0])
    flat = torch.vstack([torch.cat([(m[k] - base[k]).reshape(-1) for k in keys]) for m in members])
    d = flat.shape[1]
    k = d - int(d * (threshold / 100 if threshold > 1 else threshold))
    kth, _ = flat.abs().kthvalue(k, dim=1, keepdim=True)
    trimmed = flat * (flat.abs() >= kth)
    sign = torch.sign(trimmed.sum(dim=0))
    sign[sign == 0] = torch.sign(sign.sum())
    keep = torch.where(sign.unsqueeze(0) > 0, trimmed > 0, trimmed < 0)
    merged_tv = (trimmed * keep).sum(dim=0)
    out, o = {}, 0
    for key in keys:
        n = base[key].numel()
        out[key] = base[key] + scaling_factor * merged_tv[o:o + n].reshape(base[key].shape)
        o += n
    return out


def layer_norm(x, sd, p, eps=1e-5):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)


def linear(x, sd, p, bias=True):
    return torch.nn.functional.linear(x, sd[p + ".weight"], sd[p + ".bias"] if bias else None)


def encoder(h, sd, prefix, layers, heads, causal):
    n, t, d = h.shape
    hd = d // heads
    mask = torch.full((t, t), float("-inf"), dtype=h.dtype).triu(1) if causal else None
    for i in range(layers):
        p = f"{prefix}.encoder.layers.{i}"
        x = layer_norm(h, sd, p + ".layer_norm1")
        q = linear(x, sd, p + ".self_attn.q_proj") * hd ** -0.5
        k = linear(x, sd, p + ".self_attn.k_proj")
        v = linear(x, sd, p + ".self_attn.v_proj")
        q, k, v = (z.reshape(n, t, heads, hd).transpose(1, 2) for z in (q, k, v))
        a = q @ k.transpose(-1, -2)
        if mask is not None:
            a = a + mask
        a = torch.softmax(a, dim=-1) @ v
        h = h + linear(a.transpose(1, 2).reshape(n, t, d), sd, p + ".self_attn.out_proj")
        x = layer_norm(h, sd, p + ".layer_norm2")
        x = linear(x, sd, p + ".mlp.fc1")
        x = x * torch.sigmoid(1.702 * x)
        h = h + linear(x, sd, p + ".mlp.fc2")
    return h


def image_embeds(sd, cfg, x_nhwc):
    v = cfg["vision_config"]
    x = x_nhwc.permute(0, 3, 1, 2)
    e = torch.nn.functional.conv2d(x, sd["vision_model.embeddings.patch_embedding.weight"], stride=v["patch_size"])
    e = e.flatten(2).transpose(1, 2)
    cls = sd["vision_model.embeddings.class_embedding"].expand(e.shape[0], 1, -1)
    h = torch.cat([cls, e], dim=1) + sd["vision_model.embeddings.position_embedding.weight"]
    h = layer_norm(h, sd, "vision_model.pre_layrnorm")
    h = encoder(h, sd, "vision_model", v["num_hidden_layers"], v["num_attention_heads"], False)
    pooled = layer_norm(h[:, 0], sd, "vision_model.post_layernorm")
    return pooled @ sd["visual_projection.weight"].T


def text_embeds(sd, cfg, ids, eot):
    t = cfg["text_config"]
    L = ids.shape[1]
    h = sd["text_model.embeddings.token_embedding.weight"][ids] + sd["text_model.embeddings.position_embedding.weight"][:L]
    h = encoder(h, sd, "text_model", t["num_hidden_layers"], t["num_attention_heads"], True)
    h = layer_norm(h, sd, "text_model.final_layer_norm")
    pooled = h[torch.arange(h.shape[0]), eot]
    return pooled @ sd["text_projection.weight"].T


def main():
    spec = json.load(open(sys.argv[1]))
    base_cfg = json.load(open(spec["base"] + "/config.json"))
    base = read_safetensors(spec["base"] + "/model.safetensors")
    members = [read_safetensors(m + "/model.safetensors") for m in spec["members"]]
    for m in members:
        assert all(k.startswith("vision_model.") for k in m), "members are CLIPVisionModel state dicts"
    base_vision = {k: base[k] for k in members[0]}
    merged = []
    with torch.no_grad():
        for mg in spec["merges"]:
            if mg["method"] == "average":
                merged.append(simple_average(members))
            elif mg["method"] == "task_arithmetic":
                merged.append(task_arithmetic(base_vision, members, mg["scaling_factor"]))
            elif mg["method"] == "ties":
                merged.append(ties(base_vision, members, mg["scaling_factor"], mg["threshold"]))
            else:
                raise SystemExit(f"unknown merge {mg['method']}")
        d64 = lambda sd: {k: v.double() for k, v in sd.items()}
        full = d64(base)
        pr = spec["prompts"]
        ids = torch.tensor(pr["ids"], dtype=torch.long).reshape(pr["m"], -1)
        eot = torch.tensor(pr["eot"], dtype=torch.long)
        te = text_embeds(full, base_cfg, ids, eot)
        te = te / te.norm(dim=-1, keepdim=True)
        head = te.reshape(pr["classes"], pr["templates"], -1).mean(dim=1)
        head = head / head.norm(dim=-1, keepdim=True)
        out = []
        for ev in spec["evals"]:
            which = ev["model"]
            sd = dict(full)
            if which.startswith("member:"):
                sd.update(d64(members[int(which[7:])]))
            elif which.startswith("merge:"):
                sd.update(d64(merged[int(which[6:])]))
            s = ev["size"]
            x = torch.from_numpy(np.fromfile(ev["images"], dtype="<f4").copy()).double().reshape(ev["n"], s, s, 3)
            ie = image_embeds(sd, base_cfg, x)
            ie = ie / ie.norm(dim=-1, keepdim=True)
            logits = ie @ head.T
            top2 = logits.topk(2, dim=1).values
            out.append({"model": which, "pred": logits.argmax(dim=1).tolist(), "margin": (top2[:, 0] - top2[:, 1]).tolist()})
    json.dump({"evals": out}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
