#!/usr/bin/python3
"""Write a Hugging Face hub cache (models--org--name/{refs/main, snapshots/<hash>/...}) holding
a CLIP shaped like openai/clip-vit-base-patch32 with seeded random weights and a tokenizer in the
real file format, plus vision-only "fine-tunes" of it (CLIPVisionModel: config model_type
clip_vision_model, only vision_model.* tensors), as FusionBench publishes its fine-tunes.

Every tensor has the shape it has in ViT-B/32 (widths 768/512, MLP 3072/2048, patch 32 at 224 px,
49,408-token vocabulary, 77 positions, projection 512). --layers sets the number of transformer
layers per tower (12 in the real model; tests use fewer to stay fast, see test/hubcache/README.md).

usage: make_hub_cache.py OUT [--layers N] [--seed S] [--finetune REPO ...] [--noise F] [--corpus PROMPTS.txt] [--b16 REPO ...]
"""
import argparse
import hashlib
import json
import os
import random
import re
import struct

import torch

BASE_REPO = "openai/clip-vit-base-patch32"


def bytes_to_unicode():
    """GPT-2/CLIP's reversible byte -> printable character table: {byte: character}, in CLIP's vocabulary order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


WORD = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE)


def tokenizer_files(seed, corpus=()):
    """vocab.json / merges.txt built the way CLIP's are: 256 byte symbols, the same with </w>,
    one token per merge in rank order, then <|startoftext|> and <|endoftext|> (ids 49406, 49407).
    CLIP's 48,894 merges are learned from its training text; here the words of `corpus` (the
    prompts a test encodes) come first, most frequent first, each as a chain of merges that builds
    it left to right (so most prompt words are one or two tokens, as in CLIP's vocabulary), and
    seeded pairs of byte symbols fill the rest."""
    enc = bytes_to_unicode()
    syms = list(enc.values())
    vocab = syms + [s + "</w>" for s in syms]
    known = set(vocab)
    merges = []
    freq = {}
    for line in corpus:
        for w in WORD.findall(line.strip().lower()):
            w = "".join(enc[b] for b in w.encode("utf-8"))
            freq[w] = freq.get(w, 0) + 1
    for w in sorted(freq, key=lambda w: (-freq[w], w)):
        parts = list(w[:-1]) + [w[-1] + "</w>"]
        cur = parts[0]
        for p in parts[1:]:
            nxt = cur + p
            if nxt not in known:
                merges.append((cur, p))
                known.add(nxt)
            cur = nxt
    rng = random.Random(seed)
    firsts = syms[:]
    rng.shuffle(firsts)
    pairs = [(a, b) for a in firsts for b in syms + [s + "</w>" for s in syms]]
    rng.shuffle(pairs)
    for a, b in pairs:
        if len(merges) == 49408 - 512 - 2:
            break
        if a + b not in known:
            merges.append((a, b))
            known.add(a + b)
    vocab += [a + b for a, b in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408 and len(set(vocab)) == 49408
    return {t: i for i, t in enumerate(vocab)}, "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)


def clip_config(layers):
    return {
        "_name_or_path": BASE_REPO,
        "architectures": ["CLIPModel"],
        "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "clip",
        "projection_dim": 512,
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "clip_text_model", "hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8,
            "num_hidden_layers": layers, "max_position_embeddings": 77, "vocab_size": 49408, "hidden_act": "quick_gelu",
            "layer_norm_eps": 1e-05, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "projection_dim": 512,
        },
        "vision_config": {
            "model_type": "clip_vision_model", "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
            "num_hidden_layers": layers, "image_size": 224, "patch_size": 32, "num_channels": 3, "hidden_act": "quick_gelu",
            "layer_norm_eps": 1e-05, "projection_dim": 512,
        },
    }


def vision_config(layers, patch=32):
    v = dict(clip_config(layers)["vision_config"], patch_size=patch)
    v.update({"_name_or_path": BASE_REPO, "architectures": ["CLIPVisionModel"], "torch_dtype": "float32"})
    return v


def tower_shapes(prefix, d, f, layers):
    out = []
    for i in range(layers):
        l = f"{prefix}.encoder.layers.{i}"
        for p in ("k_proj", "v_proj", "q_proj", "out_proj"):
            out += [(f"{l}.self_attn.{p}.weight", [d, d]), (f"{l}.self_attn.{p}.bias", [d])]
        out += [(f"{l}.layer_norm1.weight", [d]), (f"{l}.layer_norm1.bias", [d]),
                (f"{l}.mlp.fc1.weight", [f, d]), (f"{l}.mlp.fc1.bias", [f]),
                (f"{l}.mlp.fc2.weight", [d, f]), (f"{l}.mlp.fc2.bias", [d]),
                (f"{l}.layer_norm2.weight", [d]), (f"{l}.layer_norm2.bias", [d])]
    return out


def clip_shapes(layers, patch=32):
    s = [("text_model.embeddings.token_embedding.weight", [49408, 512]), ("text_model.embeddings.position_embedding.weight", [77, 512])]
    s += tower_shapes("text_model", 512, 2048, layers)
    s += [("text_model.final_layer_norm.weight", [512]), ("text_model.final_layer_norm.bias", [512])]
    s += [("vision_model.embeddings.class_embedding", [768]), ("vision_model.embeddings.patch_embedding.weight", [768, 3, patch, patch]),
          ("vision_model.embeddings.position_embedding.weight", [(224 // patch) ** 2 + 1, 768]),
          ("vision_model.pre_layrnorm.weight", [768]), ("vision_model.pre_layrnorm.bias", [768])]
    s += tower_shapes("vision_model", 768, 3072, layers)
    s += [("vision_model.post_layernorm.weight", [768]), ("vision_model.post_layernorm.bias", [768]),
          ("visual_projection.weight", [512, 768]), ("text_projection.weight", [512, 512]), ("logit_scale", [])]
    return s


def init_tensor(name, shape, g):
    """Seeded weights in the ranges a trained CLIP has: LayerNorm gains near 1, small biases,
    weights with std 0.02 (embeddings, projections) or 1/sqrt(fan_in)."""
    if name == "logit_scale":
        return torch.tensor(2.6592)
    if "layer_norm" in name or "layrnorm" in name or "layernorm" in name:
        base = 1.0 if name.endswith("weight") else 0.0
        return base + 0.05 * torch.randn(shape, generator=g)
    if name.endswith("bias"):
        return 0.02 * torch.randn(shape, generator=g)
    if len(shape) >= 2 and "embedding" not in name:
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        return torch.randn(shape, generator=g) / fan_in ** 0.5
    return 0.02 * torch.randn(shape, generator=g)


def write_safetensors(path, tensors):
    """The safetensors format: u64 header length, JSON header (8-byte aligned), raw little-endian data."""
    header, offset = {}, 0
    for name, t in tensors:
        n = t.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, t in tensors:
            f.write(t.contiguous().to(torch.float32).numpy().tobytes())
    os.replace(path + ".tmp", path)


def write_repo(root, repo, files):
    """models--org--name/snapshots/<hash>/<files> and refs/main naming the hash."""
    digest = hashlib.sha1(repo.encode() + b"".join(json.dumps(sorted(files)).encode() for _ in [0])).hexdigest()
    folder = os.path.join(root, "models--" + repo.replace("/", "--"))
    snap = os.path.join(folder, "snapshots", digest)
    os.makedirs(snap, exist_ok=True)
    os.makedirs(os.path.join(folder, "refs"), exist_ok=True)
    for name, write in files.items():
        write(os.path.join(snap, name))
    with open(os.path.join(folder, "refs", "main"), "w") as f:
        f.write(digest)
    return snap


def write_json(obj):
    def w(path):
        with open(path, "w") as f:
            json.dump(obj, f, indent=2)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise", type=float, default=0.3, help="fine-tune perturbation, relative to each tensor's spread")
    ap.add_argument("--finetune", nargs="*", default=[])
    ap.add_argument("--corpus", help="a text file of prompts whose words the tokenizer's merges should cover")
    ap.add_argument("--b16", nargs="*", default=[], help="vision-only fine-tunes shaped like ViT-B/16 (another architecture than the base)")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(a.seed)
    tensors = [(n, init_tensor(n, s, g)) for n, s in clip_shapes(a.layers)]
    corpus = open(a.corpus, encoding="utf-8").read().splitlines() if a.corpus else ()
    vocab, merges = tokenizer_files(a.seed, corpus)

    def text(s):
        def w(path):
            with open(path, "w") as f:
                f.write(s)
        return w

    base = write_repo(a.out, BASE_REPO, {
        "config.json": write_json(clip_config(a.layers)),
        "model.safetensors": lambda p: write_safetensors(p, tensors),
        "vocab.json": write_json(vocab),
        "merges.txt": text(merges),
        "tokenizer_config.json": write_json({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
                                             "pad_token": "<|endoftext|>", "model_max_length": 77, "do_lower_case": True,
                                             "tokenizer_class": "CLIPTokenizer", "errors": "replace"}),
        "special_tokens_map.json": write_json({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                                               "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}),
        "preprocessor_config.json": write_json({"crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                                                "feature_extractor_type": "CLIPFeatureExtractor",
                                                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                                                "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224}),
    })
    print(base)
    vision = [(n, t) for n, t in tensors if n.startswith("vision_model.")]
    for i, repo in enumerate(a.finetune):
        gi = torch.Generator().manual_seed(a.seed * 1000 + i + 1)
        # a fine-tune moves every tensor a little: a seeded perturbation scaled to the tensor's spread
        ft = [(n, t + a.noise * (t.std() if t.numel() > 1 and t.std() > 0 else torch.tensor(0.02)) * torch.randn(t.shape, generator=gi))
              for n, t in vision]
        print(write_repo(a.out, repo, {
            "config.json": write_json(vision_config(a.layers)),
            "model.safetensors": lambda p, ft=ft: write_safetensors(p, ft),
        }))
    for i, repo in enumerate(a.b16):
        gi = torch.Generator().manual_seed(a.seed * 1000 + 500 + i)
        ft = [(n, init_tensor(n, s, gi)) for n, s in clip_shapes(a.layers, patch=16) if n.startswith("vision_model.")]
        print(write_repo(a.out, repo, {
            "config.json": write_json(vision_config(a.layers, patch=16)),
            "model.safetensors": lambda p, ft=ft: write_safetensors(p, ft),
        }))


if __name__ == "__main__":
    main()
