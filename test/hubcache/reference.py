#!/usr/bin/python3
"""PyTorch reference for FusionBench's program on a hub cache, written from FusionBench's,
OpenAI CLIP's and Hugging Face's semantics (not from fbw's code), to check fbw image by image:

  fusion_bench method={simple_average, task_arithmetic, ties_merging}
      modelpool=CLIPVisionModelPool/clip-vit-base-patch32_TA8 taskpool=clip-vit-classification_TA8

  - models: the base CLIPModel and the members' CLIPVisionModel state dicts (vision_model.* only),
    read from the hub cache (models--org--name/refs/main -> snapshots/<hash>/model.safetensors);
  - merges act on the vision_model.* tensors, in float32: simple_average = mean of the members;
    task_arithmetic = base + scaling_factor * sum of task vectors; ties_merging = task vectors
    flattened over the sorted keys, each trimmed to its top `threshold` % by magnitude (kthvalue),
    sign elected by the sum (zeros -> the majority sign), disjoint sum of the entries that agree,
    base + scaling_factor * that;
  - a merged (or fine-tuned) vision tower is evaluated with the base's visual projection; the
    zero-shot head of a task is the base text tower's normalised embedding of every
    (class, template) prompt, averaged over templates and normalised again; logits =
    exp(logit_scale) * normalised image embedding @ head^T (CLIPVisionModelTaskPool);
  - text: CLIP's byte-level BPE (vocab.json / merges.txt) with <|startoftext|> ... <|endoftext|>,
    the transformer causal, pooled at the end-of-text token; no padding (prompts are grouped by
    length, so a padded batch, as FusionBench runs it, gives the same embedding);
  - images: PIL decodes the files, convert("RGB"), then CLIPImageProcessor: shortest side to 224
    with PIL's bicubic resize, centre crop 224 (top = (h - 224) // 2), scale 1/255, normalise by
    CLIP's mean and std.

usage: reference.py SPEC.json OUT.json
SPEC: {hub, base, members: {task: repo}, merges: [{name, method, scaling_factor?, threshold?}],
       tasks: {task: {classnames, templates, images: [file...]}}}
OUT:  {rows: [{row, model, task, logits: [[...]...]}]} for the zero-shot base on every task, each
      member on its own task ("individual"), and each merge on every task.
"""
import html
import json
import os
import re
import struct
import sys

import numpy as np
import torch
from PIL import Image

torch.set_num_threads(int(os.environ.get("REFERENCE_THREADS", "2")))

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def snapshot(hub, repo):
    folder = os.path.join(hub, "models--" + repo.replace("/", "--"))
    with open(os.path.join(folder, "refs", "main")) as f:
        return os.path.join(folder, "snapshots", f.read().strip())


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
        out[k] = torch.from_numpy(np.frombuffer(data, dtype="<f4", count=(e - b) // 4, offset=b).copy()).reshape(v["shape"])
    return out


# ---- CLIP's tokenizer (OpenAI's simple_tokenizer / transformers' CLIPTokenizer) -------------------

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class ClipTokenizer:
    # \p{L} -> [^\W\d_], \p{N} -> \d (the standard library has no \p classes; same on these prompts)
    PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE)

    def __init__(self, folder):
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]
        merges = [tuple(l.split()) for l in lines if l.strip()]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.bos, self.eos = self.encoder["<|startoftext|>"], self.encoder["<|endoftext|>"]

    def bpe(self, token):
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = [self.bos]
        for tok in self.PAT.findall(text):
            tok = "".join(self.byte_encoder[b] for b in tok.encode("utf-8"))
            ids += [self.encoder[t] for t in self.bpe(tok)]
        ids.append(self.eos)
        assert len(ids) <= 77, f"prompt longer than 77 tokens: {text!r}"
        return ids


# ---- merges ---------------------------------------------------------------------------------------

def simple_average(base, members):
    return {k: sum(m[k] for m in members) / len(members) for k in members[0]}


def task_arithmetic(base, members, scaling_factor):
    return {k: base[k] + scaling_factor * sum(m[k] - base[k] for m in members) for k in members[0]}


def ties_merging(base, members, scaling_factor, threshold):
    # the same arithmetic as on the stacked [members, parameters] matrix, one member row at a
    # time so that eight ViT-B/32 task vectors fit in a few GB
    keys = sorted(members[0])
    flat = torch.vstack([torch.cat([(m[k] - base[k]).reshape(-1) for k in keys]) for m in members])
    d = flat.shape[1]
    k = d - int(d * (threshold / 100 if threshold > 1 else threshold))
    for r in range(flat.shape[0]):
        kth = flat[r].abs().kthvalue(k).values
        flat[r] *= flat[r].abs() >= kth
    sign = torch.sign(flat.sum(dim=0))
    sign[sign == 0] = torch.sign(sign.sum())
    merged_tv = torch.zeros(d)
    for r in range(flat.shape[0]):
        merged_tv += flat[r] * torch.where(sign > 0, flat[r] > 0, flat[r] < 0)
    del flat
    out, o = {}, 0
    for key in keys:
        n = base[key].numel()
        out[key] = base[key] + scaling_factor * merged_tv[o:o + n].reshape(base[key].shape)
        o += n
    return out


MERGES = {
    "average": lambda base, ms, p: simple_average(base, ms),
    "task_arithmetic": lambda base, ms, p: task_arithmetic(base, ms, p["scaling_factor"]),
    "ties": lambda base, ms, p: ties_merging(base, ms, p["scaling_factor"], p["threshold"]),
}


# ---- CLIP forward (transformers' CLIPModel: pre-norm, quick-GELU) ---------------------------------

def layer_norm(x, sd, p, eps=1e-5):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)


def linear(x, sd, p):
    return torch.nn.functional.linear(x, sd[p + ".weight"], sd[p + ".bias"])


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


def image_embeds(sd, cfg, x_nchw):
    v = cfg["vision_config"]
    e = torch.nn.functional.conv2d(x_nchw, sd["vision_model.embeddings.patch_embedding.weight"], stride=v["patch_size"])
    e = e.flatten(2).transpose(1, 2)
    cls = sd["vision_model.embeddings.class_embedding"].expand(e.shape[0], 1, -1)
    h = torch.cat([cls, e], dim=1) + sd["vision_model.embeddings.position_embedding.weight"]
    h = layer_norm(h, sd, "vision_model.pre_layrnorm")
    h = encoder(h, sd, "vision_model", v["num_hidden_layers"], v["num_attention_heads"], False)
    pooled = layer_norm(h[:, 0], sd, "vision_model.post_layernorm")
    return pooled @ sd["visual_projection.weight"].T


def text_embeds(sd, cfg, ids):
    """ids: [n, L] prompts of one length L, each ending with <|endoftext|>."""
    t = cfg["text_config"]
    L = ids.shape[1]
    h = sd["text_model.embeddings.token_embedding.weight"][ids] + sd["text_model.embeddings.position_embedding.weight"][:L]
    h = encoder(h, sd, "text_model", t["num_hidden_layers"], t["num_attention_heads"], True)
    h = layer_norm(h, sd, "text_model.final_layer_norm")
    return h[:, -1] @ sd["text_projection.weight"].T


def zeroshot_head(sd, cfg, tok, classnames, templates):
    prompts = [tpl.replace("{}", c) for c in classnames for tpl in templates]
    ids = [tok.encode(p) for p in prompts]
    emb = torch.empty(len(ids), cfg["projection_dim"])
    by_len = {}
    for i, x in enumerate(ids):
        by_len.setdefault(len(x), []).append(i)
    for L, idx in by_len.items():
        for s in range(0, len(idx), 256):
            part = idx[s:s + 256]
            emb[part] = text_embeds(sd, cfg, torch.tensor([ids[i] for i in part], dtype=torch.long))
    emb = emb / emb.norm(dim=-1, keepdim=True)
    head = emb.reshape(len(classnames), len(templates), -1).mean(dim=1)
    return head / head.norm(dim=-1, keepdim=True)


def preprocess(path, size=224):
    im = Image.open(path)
    im.load()
    im = im.convert("RGB")
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    nw, nh = (size, new_long) if w <= h else (new_long, size)
    im = im.resize((nw, nh), resample=Image.BICUBIC)
    top, left = (nh - size) // 2, (nw - size) // 2
    im = im.crop((left, top, left + size, top + size))
    a = np.asarray(im, dtype=np.float32) * np.float32(1 / 255)
    return (a - MEAN) / STD


def main():
    spec = json.load(open(sys.argv[1]))
    hub = spec["hub"]
    base_dir = snapshot(hub, spec["base"])
    cfg = json.load(open(os.path.join(base_dir, "config.json")))
    base = read_safetensors(os.path.join(base_dir, "model.safetensors"))
    tasks = list(spec["tasks"])
    members = {t: read_safetensors(os.path.join(snapshot(hub, repo), "model.safetensors")) for t, repo in spec["members"].items()}
    for t, m in members.items():
        assert all(k.startswith("vision_model.") for k in m), f"{t}: a CLIPVisionModel holds vision_model.* tensors only"
    keys = sorted(next(iter(members.values())))
    base_vision = {k: base[k] for k in keys}
    tok = ClipTokenizer(base_dir)
    scale = float(base["logit_scale"].exp())
    rows = []
    with torch.no_grad():
        heads = {t: zeroshot_head(base, cfg, tok, spec["tasks"][t]["classnames"], spec["tasks"][t]["templates"]) for t in tasks}
        images = {t: torch.from_numpy(np.stack([preprocess(p) for p in spec["tasks"][t]["images"]])).permute(0, 3, 1, 2).contiguous() for t in tasks}

        def evaluate(row, model, vision, on):
            sd = dict(base)
            sd.update(vision)
            for t in on:
                ie = image_embeds(sd, cfg, images[t])
                ie = ie / ie.norm(dim=-1, keepdim=True)
                rows.append({"row": row, "model": model, "task": t, "logits": (scale * ie @ heads[t].T).tolist()})

        evaluate("pretrained (zero-shot)", "base", {}, tasks)
        for t in tasks:
            evaluate("fine-tuned (individual)", f"ft.{t}", members[t], [t])
        ms = [members[t] for t in spec["members"]]
        for mg in spec["merges"]:
            evaluate(mg["name"], mg["name"], MERGES[mg["method"]](base_vision, ms, mg), tasks)
    json.dump({"rows": rows}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
