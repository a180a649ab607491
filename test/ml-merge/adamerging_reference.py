# Independent PyTorch reference of FusionBench's CLIP AdaMerging step (fusion_bench/method/adamerging:
# LayerWiseMergedModel / TaskWiseMergedModel + entropy_loss + torch.optim.Adam): merged vision tower
# θ = θ_0 + Σ_i w_i τ_i (w = clamp(λ, 0, 1) when clamp_weights), logits = logit_scale · cos(image
# features, zero-shot text rows), loss = Σ_tasks mean(−Σ p·log(p + 1e-8)), one backward per task,
# then Adam. Reads the checkpoints' safetensors directly; runs in float64 so it is the exact value.
# usage: python3 adamerging_reference.py SPEC.json OUT.json
import json, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
spec = json.load(open(sys.argv[1]))

def read_safetensors(path):
    raw = open(path, "rb").read()
    hlen = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + hlen])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype=np.float32).copy().reshape(v["shape"])).double()
    return out

cfg = json.load(open(spec["base_dir"] + "/config.json"))
vc = cfg["vision_config"]
base = read_safetensors(spec["base_dir"] + "/model.safetensors")
names = spec["names"]
task_vectors = []
for path in spec["models"]:
    sd = read_safetensors(path)
    task_vectors.append({k: sd[k] - base[k] for k in names})
heads = [torch.from_numpy(np.fromfile(h["weight"], dtype=np.float32).reshape(h["classes"], -1)).double() for h in spec["heads"]]
scales = [h["logit_scale"] for h in spec["heads"]]

def vision_features(W, x):
    eps = vc.get("layer_norm_eps", 1e-5)
    ln = lambda h, p: F.layer_norm(h, h.shape[-1:], W[p + ".weight"], W[p + ".bias"], eps)
    lin = lambda h, p: F.linear(h, W[p + ".weight"], W.get(p + ".bias"))
    P = vc["patch_size"]
    n = x.shape[0]
    e = F.conv2d(x, W["vision_model.embeddings.patch_embedding.weight"], stride=P).flatten(2).transpose(1, 2)
    cls = W["vision_model.embeddings.class_embedding"].expand(n, 1, -1)
    h = torch.cat([cls, e], 1) + W["vision_model.embeddings.position_embedding.weight"]
    h = ln(h, "vision_model.pre_layrnorm")
    B, T, D = h.shape
    H = vc["num_attention_heads"]; dh = D // H
    for i in range(vc["num_hidden_layers"]):
        l = f"vision_model.encoder.layers.{i}"
        r = h
        z = ln(h, l + ".layer_norm1")
        q = lin(z, l + ".self_attn.q_proj") * dh ** -0.5
        k = lin(z, l + ".self_attn.k_proj"); v = lin(z, l + ".self_attn.v_proj")
        q, k, v = [t.view(B, T, H, dh).transpose(1, 2) for t in (q, k, v)]
        o = ((q @ k.transpose(-1, -2)).softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        h = r + lin(o, l + ".self_attn.out_proj")
        z = ln(h, l + ".layer_norm2")
        f = lin(z, l + ".mlp.fc1")
        f = f * torch.sigmoid(1.702 * f) if vc.get("hidden_act", "quick_gelu") == "quick_gelu" else F.gelu(f)
        h = h + lin(f, l + ".mlp.fc2")
    pooled = ln(h[:, 0, :], "vision_model.post_layernorm")
    return F.linear(pooled, W["visual_projection.weight"])

def entropy_loss(logits, eps=1e-8):
    p = torch.softmax(logits, dim=-1)
    return -torch.sum(p * torch.log(p + eps), dim=-1).mean()

S = vc["image_size"]
lam = torch.nn.Parameter(torch.tensor(spec["lambda"]).view(len(task_vectors), -1))
opt = torch.optim.Adam([lam], lr=spec["lr"])
steps = []
for step_batches in spec["steps"]:
    w = lam.clamp(0, 1) if spec["clamp"] else lam
    merged = dict(base)
    for l, k in enumerate(names):
        col = l if spec["layer_wise"] else 0
        merged[k] = base[k] + sum(w[i, col] * task_vectors[i][k] for i in range(len(task_vectors)))
    total = 0.0
    for t, b in enumerate(step_batches):
        x = torch.from_numpy(np.fromfile(b["x"], dtype=np.float32).reshape(b["n"], S, S, 3)).double().permute(0, 3, 1, 2)
        feats = vision_features(merged, x)
        logits = scales[t] * F.normalize(feats, dim=-1) @ heads[t].T
        loss = entropy_loss(logits)
        loss.backward(retain_graph=True)
        total += loss.item()
    steps.append({"loss": total, "grad": lam.grad.flatten().tolist()})
    opt.step()
    opt.zero_grad()
    steps[-1]["lambda_after"] = lam.detach().flatten().tolist()
json.dump({"steps": steps}, open(sys.argv[2], "w"))
