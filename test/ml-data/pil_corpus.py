# Writes a corpus of PNG and JPEG files in every layout fbw must read, and what PIL (and Hugging
# Face's CLIPImageProcessor steps done with PIL) make of each: the convert("RGB") bytes and the
# resized + center-cropped bytes at each size in SIZES. Usage: python3 pil_corpus.py OUTDIR
# Writes OUTDIR/manifest.json: [{file, width, height, rgb, crops: {S: file}} | {file, refuse: why}].
import json, os, struct, sys, zlib
import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
SIZES = [224, 32]
rng = np.random.default_rng(7)
manifest = []

def photo(w, h):
    # smooth gradients, edges and noise: every DCT band and chroma detail is exercised
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255.0 / max(w - 1, 1))
    g = 128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)
    b = np.where((x // 17 + y // 11) % 2 == 0, 40, 220) + rng.normal(0, 12, (h, w))
    return np.stack([r, g, b], -1).clip(0, 255).astype(np.uint8)

def hf_crop(im, S):
    # CLIPImageProcessor: convert RGB, shortest edge -> S (int(S * long / short)), PIL bicubic, center crop
    im = im.convert('RGB')
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(S * long / short)
    nw, nh = (S, new_long) if w <= h else (new_long, S)
    a = np.asarray(im.resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None))
    top, left = (nh - S) // 2, (nw - S) // 2
    return a[top:top + S, left:left + S]

def record(name, refuse=None):
    p = os.path.join(out, name)
    if refuse:
        manifest.append({'file': name, 'refuse': refuse})
        return
    im = Image.open(p)
    rgb = np.asarray(im.convert('RGB'))
    rgb.tofile(p + '.rgb')
    crops = {}
    for S in SIZES:
        hf_crop(Image.open(p), S).tofile(p + f'.{S}')
        crops[str(S)] = name + f'.{S}'
    manifest.append({'file': name, 'width': rgb.shape[1], 'height': rgb.shape[0], 'rgb': name + '.rgb', 'crops': crops, 'mode': im.mode})

# ---- JPEG
for (w, h) in [(500, 375), (37, 53)]:
    im = Image.fromarray(photo(w, h))
    for ss, tag in [(0, '444'), (1, '422'), (2, '420')]:
        for prog in [False, True]:
            n = f'j{w}x{h}_{tag}{"_prog" if prog else ""}.jpg'
            im.save(os.path.join(out, n), quality=88, subsampling=ss, progressive=prog)
            record(n)
    g = im.convert('L')
    g.save(os.path.join(out, f'j{w}x{h}_grey.jpg'), quality=85); record(f'j{w}x{h}_grey.jpg')
    g.save(os.path.join(out, f'j{w}x{h}_grey_prog.jpg'), quality=85, progressive=True); record(f'j{w}x{h}_grey_prog.jpg')
Image.fromarray(photo(64, 48)).convert('CMYK').save(os.path.join(out, 'cmyk.jpg'), quality=90)
record('cmyk.jpg', refuse='CMYK')

# ---- PNG written by PIL
base = Image.fromarray(photo(61, 45))
base.save(os.path.join(out, 'rgb8.png')); record('rgb8.png')
rgba = base.copy(); rgba.putalpha(Image.fromarray((rng.random((45, 61)) * 255).astype(np.uint8)))
rgba.save(os.path.join(out, 'rgba8.png')); record('rgba8.png')
base.convert('L').save(os.path.join(out, 'l8.png')); record('l8.png')
base.convert('LA').save(os.path.join(out, 'la8.png')); record('la8.png')
base.convert('P', palette=Image.ADAPTIVE, colors=37).save(os.path.join(out, 'p8.png')); record('p8.png')
pt = base.convert('P', palette=Image.ADAPTIVE, colors=16); pt.info['transparency'] = 3
pt.save(os.path.join(out, 'p4_trns.png'), transparency=3, bits=4); record('p4_trns.png')
base.convert('1').save(os.path.join(out, 'bw1.png')); record('bw1.png')
lt = base.convert('L'); lt.save(os.path.join(out, 'l8_trns.png'), transparency=int(np.asarray(lt)[0, 0])); record('l8_trns.png')
base.save(os.path.join(out, 'rgb8_trns.png'), transparency=tuple(int(v) for v in np.asarray(base)[0, 0])); record('rgb8_trns.png')

# ---- PNG in layouts PIL does not write: raw encoder (filter 0 rows), any bit depth / colour type
def raw_png(name, w, h, bit, ctype, rows_bytes, interlace=0):
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', w, h, bit, ctype, 0, 0, interlace)
    raw = b''.join(b'\x00' + r for r in rows_bytes)
    with open(os.path.join(out, name), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
    record(name)

def packed_rows(vals, bit):
    rows = []
    for row in vals:
        acc, n, out_b = 0, 0, bytearray()
        for v in row:
            acc = (acc << bit) | int(v); n += bit
            if n == 8: out_b.append(acc); acc, n = 0, 0
        if n: out_b.append(acc << (8 - n))
        rows.append(bytes(out_b))
    return rows

W, H = 29, 23
for bit in (2, 4):
    v = rng.integers(0, 1 << bit, (H, W))
    raw_png(f'l{bit}.png', W, H, bit, 0, packed_rows(v, bit))
g16 = rng.integers(0, 65536, (H, W)).astype('>u2'); g16[:3] = rng.integers(0, 300, (3, W))  # some values under 256
raw_png('l16.png', W, H, 16, 0, [r.tobytes() for r in g16])
raw_png('rgb16.png', W, H, 16, 2, [r.tobytes() for r in rng.integers(0, 65536, (H, W, 3)).astype('>u2')])
raw_png('rgba16.png', W, H, 16, 6, [r.tobytes() for r in rng.integers(0, 65536, (H, W, 4)).astype('>u2')])
raw_png('la16.png', W, H, 16, 4, [r.tobytes() for r in rng.integers(0, 65536, (H, W, 2)).astype('>u2')])

# an upscale that PIL's fixed point and a float resampler round differently (the ±1 case)
Image.fromarray(photo(40, 30)).save(os.path.join(out, 'small_up.png')); record('small_up.png')
Image.fromarray(photo(224, 300)).save(os.path.join(out, 'portrait_exact.png')); record('portrait_exact.png')

json.dump(manifest, open(os.path.join(out, 'manifest.json'), 'w'), indent=1)
print(len(manifest))
