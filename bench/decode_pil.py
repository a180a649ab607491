# The anchor of `npm run bench -- decode`: Hugging Face CLIPImageProcessor's steps on the same files,
# done as it does them — PIL open + convert("RGB"), PIL bicubic resize of the shortest side to S,
# numpy center crop, float32 rescale by 1/255 and normalise with CLIP's mean/std (numpy), then a
# torch tensor. Prints JSON: images per second (best of REPS passes) and a checksum of the cropped
# uint8 bytes, which the bench compares with fbw's (same pixels).
import json, sys, time, zlib
import numpy as np
from PIL import Image
import torch

files, S, reps = sys.argv[1].split('\n'), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)

def one(path):
    im = Image.open(path).convert('RGB')
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    nl = int(S * long / short)
    nw, nh = (S, nl) if w <= h else (nl, S)
    a = np.asarray(im.resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None))
    t, l = (nh - S) // 2, (nw - S) // 2
    crop = a[t:t + S, l:l + S]
    x = (crop.astype(np.float32) * np.float32(1 / 255) - MEAN) / STD
    return crop, torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))

crc = 0
for f in files:
    crc = zlib.crc32(np.ascontiguousarray(one(f)[0]).tobytes(), crc)
best = 0.0
for _ in range(reps):
    t0 = time.perf_counter()
    for f in files:
        one(f)
    best = max(best, len(files) / (time.perf_counter() - t0))
print(json.dumps({'images_per_s': best, 'crc': crc}))
