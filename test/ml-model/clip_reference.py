# Independent PyTorch reference of Hugging Face CLIPModel's forward (transformers modeling_clip.py:
# CLIPVisionEmbeddings with a Conv2d patch embedding, pre/post layernorm, CLIPEncoderLayer,
# causal text attention, end-of-text pooling, projections). Reads model.safetensors directly.
# usage: python3 clip_reference.py MODEL_DIR IMAGES.f32 N IDS.i32 EOT.i32 M T OUT.json
import json, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

model_dir, img_path, n, ids_path, eot_path, m, t, out_path = sys.argv[1:9]
n, m, t = int(n), int(m), int(t)
cfg = json.load(open(f"{model_dir}/config.json"))
raw = open(f"{model_dir}/model.safetensors", "rb").read()
hlen = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + hlen])
W = {}
for k, v in header.items():
    if k == "__metadata__":
        continue
    a, b = v["data_offsets"]
    W[k] = torch.from_numpy(np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype=np.float32).copy().reshape(v["shape"]))

def ln(x, p, eps):
    return F.layer_norm(x, x.shape[-1:], W[p + ".weight"], W[p + ".bias"], eps)

def lin(x, p, bias=True):
    return F.linear(x, W[p + ".weight"], W[p + ".bias"] if bias else None)

def act(x, kind):
    return x * torch.sigmoid(1.702 * x) if kind == "quick_gelu" else F.gelu(x, approximate="tanh")

def encoder(h, prefix, c, mask):
    B, T, D = h.shape
    H = c["num_attention_heads"]; dh = D // H
    for i in range(c["num_hidden_layers"]):
        l = f"{prefix}.encoder.layers.{i}"
        r = h
        x = ln(h, l + ".layer_norm1", c.get("layer_norm_eps", 1e-5))
        q = lin(x, l + ".self_attn.q_proj") * dh ** -0.5
        k = lin(x, l + ".self_attn.k_proj"); v = lin(x, l + ".self_attn.v_proj")
        q, k, v = [z.view(B, T, H, dh).transpose(1, 2) for z in (q, k, v)]
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        h = r + lin(o, l + ".self_attn.out_proj")
        x = ln(h, l + ".layer_norm2", c.get("layer_norm_eps", 1e-5))
        h = h + lin(act(lin(x, l + ".mlp.fc1"), c.get("hidden_act", "quick_gelu")), l + ".mlp.fc2")
    return h

vc, tc = cfg["vision_config"], cfg["text_config"]
S, P = vc["image_size"], vc["patch_size"]
x = torch.from_numpy(np.fromfile(img_path, dtype=np.float32).reshape(n, S, S, 3)).permute(0, 3, 1, 2)
e = F.conv2d(x, W["vision_model.embeddings.patch_embedding.weight"], stride=P).flatten(2).transpose(1, 2)
cls = W["vision_model.embeddings.class_embedding"].expand(n, 1, -1)
h = torch.cat([cls, e], 1) + W["vision_model.embeddings.position_embedding.weight"]
h = ln(h, "vision_model.pre_layrnorm", 1e-5)
h = encoder(h, "vision_model", vc, None)
img = F.linear(ln(h[:, 0, :], "vision_model.post_layernorm", 1e-5), W["visual_projection.weight"])

ids = torch.from_numpy(np.fromfile(ids_path, dtype=np.int32).reshape(m, t).astype(np.int64))
eot = torch.from_numpy(np.fromfile(eot_path, dtype=np.int32).astype(np.int64))
h = W["text_model.embeddings.token_embedding.weight"][ids] + W["text_model.embeddings.position_embedding.weight"][:t]
mask = torch.full((t, t), float("-inf")).triu(1)
h = encoder(h, "text_model", tc, mask)
h = ln(h, "text_model.final_layer_norm", 1e-5)
txt = F.linear(h[torch.arange(m), eot], W["text_projection.weight"])
json.dump({"image": img.flatten().tolist(), "text": txt.flatten().tolist()}, open(out_path, "w"))
