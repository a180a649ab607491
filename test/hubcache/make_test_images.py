#!/usr/bin/python3
"""Seeded test images for the eight TA8 sets, in the formats the hub stores them: JPEG photos of
mixed sizes (4:4:4, 4:2:2 and 4:2:0 chroma, baseline and progressive, a few grayscale, as SUN397
has), 64 px EuroSAT tiles, 256 px RESISC45 tiles, 32 px SVHN PNGs, GTSRB PNGs of mixed sizes (one
palette, one with alpha), and 28 px grayscale MNIST PNGs. Written with PIL (libjpeg / zlib).

usage: make_test_images.py OUT N
writes OUT/<task>/<NNN>.<jpg|png> (N per task) and OUT/manifest.json {task: [file, ...]}
"""
import json
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter

# task -> (format, mode, (min, max) width, (min, max) height); square=True keeps w == h
FORMATS = {
    "sun397": ("jpeg", "RGB", (180, 520), (160, 480)),
    "stanford_cars": ("jpeg", "RGB", (260, 640), (150, 420)),
    "resisc45": ("jpeg", "RGB", (256, 256), (256, 256)),
    "eurosat": ("jpeg", "RGB", (64, 64), (64, 64)),
    "svhn": ("png", "RGB", (32, 32), (32, 32)),
    "gtsrb": ("png", "RGB", (26, 140), (26, 140)),
    "mnist": ("png", "L", (28, 28), (28, 28)),
    "dtd": ("jpeg", "RGB", (300, 640), (300, 640)),
}


def picture(rng, w, h, mode):
    """A smooth background with a few shapes and some noise: real-photo-like spectra for the codec."""
    c0 = tuple(rng.randrange(256) for _ in range(3))
    c1 = tuple(rng.randrange(256) for _ in range(3))
    im = Image.linear_gradient("L").resize((w, h)).rotate(rng.choice([0, 90, 180, 270]), expand=False)
    im = Image.composite(Image.new("RGB", (w, h), c0), Image.new("RGB", (w, h), c1), im)
    d = ImageDraw.Draw(im)
    for _ in range(rng.randrange(2, 7)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(1, max(2, w // 2)), y0 + rng.randrange(1, max(2, h // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=fill)
    if rng.random() < 0.5:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    noise = Image.effect_noise((w, h), rng.uniform(5, 30)).convert("RGB")
    im = Image.blend(im, noise, 0.15)
    return im.convert(mode)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    manifest = {}
    for t, (fmt, mode, (wmin, wmax), (hmin, hmax)) in FORMATS.items():
        rng = random.Random(f"{t}:images")
        os.makedirs(os.path.join(out, t), exist_ok=True)
        files = []
        for i in range(n):
            w = rng.randint(wmin, wmax)
            h = w if t == "gtsrb" and rng.random() < 0.5 else rng.randint(hmin, hmax)
            m = mode
            if t == "sun397" and i % 11 == 5:
                m = "L"  # SUN397 holds some grayscale JPEGs
            im = picture(rng, w, h, m)
            if fmt == "jpeg":
                p = os.path.join(out, t, f"{i:03d}.jpg")
                im.save(p, "JPEG", quality=rng.choice([75, 85, 90, 95]), subsampling=i % 3, progressive=(i % 4 == 3))
            else:
                p = os.path.join(out, t, f"{i:03d}.png")
                if t == "gtsrb" and i == 1:
                    im = im.convert("P", palette=Image.ADAPTIVE, colors=64)
                elif t == "gtsrb" and i == 2:
                    im = im.convert("RGBA")
                    im.putalpha(Image.linear_gradient("L").resize(im.size))
                im.save(p, "PNG")
            files.append(p)
        manifest[t] = files
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
