# Independent PyTorch reference of Hugging Face ResNetForImageClassification (transformers
# modeling_resnet.py: 7x7/2 conv stem + BN + ReLU + 3x3/2 max-pool, basic/bottleneck residual
# layers with 1x1 projection shortcuts, global average pool, Linear) built from torch.nn.functional
# and the tensors of model.safetensors, plus two torch.optim.SGD steps (momentum, weight decay)
# on cross-entropy with label smoothing, BatchNorm in train mode updating its running statistics.
# usage: python3 resnet_reference.py MODEL_DIR IMAGES.f32(NHWC) N S LABELS.i32 LR EPS OUT.json
import json, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

model_dir, img_path, n, S, lab_path, lr, eps, out_path = sys.argv[1:9]
n, S, lr, eps = int(n), int(S), float(lr), float(eps)
cfg = json.load(open(f"{model_dir}/config.json"))
raw = open(f"{model_dir}/model.safetensors", "rb").read()
hlen = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + hlen])
P, B = {}, {}
for k, v in header.items():
    if k == "__metadata__" or v["dtype"] != "F32":
        continue
    a, b = v["data_offsets"]
    t = torch.from_numpy(np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype=np.float32).copy().reshape(v["shape"]))
    if k.endswith("running_mean") or k.endswith("running_var"):
        B[k] = t
    else:
        P[k] = t.requires_grad_(True)

x = torch.from_numpy(np.fromfile(img_path, dtype=np.float32).reshape(n, S, S, 3)).permute(0, 3, 1, 2).contiguous()
y = torch.from_numpy(np.fromfile(lab_path, dtype=np.int32).astype(np.int64))

def unit(h, p, k, s, relu, train):
    h = F.conv2d(h, P[p + ".convolution.weight"], stride=s, padding=k // 2)
    h = F.batch_norm(h, B[p + ".normalization.running_mean"], B[p + ".normalization.running_var"],
                     P[p + ".normalization.weight"], P[p + ".normalization.bias"], training=train, momentum=0.1, eps=1e-5)
    return F.relu(h) if relu else h

def forward(h, train):
    h = unit(h, "resnet.embedder.embedder", 7, 2, True, train)
    h = F.max_pool2d(h, 3, 2, 1)
    sizes, depths = cfg["hidden_sizes"], cfg["depths"]
    cin = cfg["embedding_size"]
    for si, (cout, d) in enumerate(zip(sizes, depths)):
        for li in range(d):
            stride = (2 if cfg.get("downsample_in_first_stage") else 1) if si == 0 else 2
            stride = stride if li == 0 else 1
            i = cin if li == 0 else cout
            p = f"resnet.encoder.stages.{si}.layers.{li}"
            r = unit(h, p + ".shortcut", 1, stride, False, train) if (i != cout or stride != 1) else h
            if cfg["layer_type"] == "basic":
                z = unit(h, p + ".layer.0", 3, stride, True, train)
                z = unit(z, p + ".layer.1", 3, 1, False, train)
            else:
                z = unit(h, p + ".layer.0", 1, 1, True, train)
                z = unit(z, p + ".layer.1", 3, stride, True, train)
                z = unit(z, p + ".layer.2", 1, 1, False, train)
            h = F.relu(z + r)
        cin = cout
    h = F.adaptive_avg_pool2d(h, 1).flatten(1)
    return F.linear(h, P["classifier.1.weight"], P["classifier.1.bias"])

with torch.no_grad():
    eval_logits = forward(x, False)
opt = torch.optim.SGD(list(P.values()), lr=lr, momentum=0.9, weight_decay=1e-4)
losses = []
for _ in range(2):
    opt.zero_grad()
    loss = F.cross_entropy(forward(x, True), y, label_smoothing=eps)
    loss.backward()
    opt.step()
    losses.append(loss.item())
keys = ["classifier.1.weight", "resnet.embedder.embedder.convolution.weight", "resnet.encoder.stages.1.layers.0.shortcut.normalization.bias"]
out = {"eval": eval_logits.flatten().tolist(), "losses": losses,
       "params": {k: P[k].detach().flatten().tolist() for k in keys},
       "running_var": B["resnet.encoder.stages.0.layers.0.layer.1.normalization.running_var"].flatten().tolist()}
json.dump(out, open(out_path, "w"))
