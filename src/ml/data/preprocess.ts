// CLIP image preprocessing as Hugging Face's CLIPImageProcessor does it
// (transformers/models/clip/image_processing_clip.py): resize the shortest side to S with
// bicubic resampling (PIL's convolution resampler, a = -0.5, antialiased when shrinking, 8-bit
// result after each pass), center crop S×S (top = (h - S) // 2), rescale by 1/255, normalise with
// OpenAI CLIP's mean/std. Output is NHWC float, the layout the vision tower takes.
// The resampler is PIL's in fixed point, as Pillow's libImaging/Resample.c computes it for 8-bit
// images: double coefficients normalised to sum 1, rounded away from zero to 22 fractional bits,
// integer sums started at half a unit, shifted back and clipped to 0..255 — so the bytes are PIL's
// (test/ml-data/pil.test.ts compares them), not merely close.

/** OpenAI CLIP's per-channel mean (RGB), as in preprocessor_config.json. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** OpenAI CLIP's per-channel std (RGB). */
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** An image that cannot be preprocessed (wrong buffer size, empty): names the sizes involved. */
export class ImageShapeError extends Error {
  constructor(readonly detail: string) {
    super(`bad image: ${detail}`);
    this.name = 'ImageShapeError';
  }
}

// float LUT: byte value -> normalised value, per channel
const LUT: Float32Array = (() => {
  const t = new Float32Array(256 * 3);
  for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) t[v * 3 + c] = (v / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!;
  return t;
})();

function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Resampling taps of one output coordinate: first input index and fixed-point weights. */
interface Taps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Int32Array; // [outSize * ksize], PIL's 8-bit coefficients (22 fractional bits)
  readonly ksize: number;
}

/** Fractional bits of PIL's 8-bit resampling coefficients (32 - 8 - 2 in Resample.c). */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

const tapsCache = new Map<string, Taps>();

// PIL's precompute_coeffs + normalize_coeffs_8bpc for the bicubic filter (support 2)
function taps(inSize: number, outSize: number): Taps {
  const key = `${inSize}:${outSize}`;
  const hit = tapsCache.get(key);
  if (hit) return hit;
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  const t = { start, count, weights, ksize };
  if (tapsCache.size > 256) tapsCache.clear();
  tapsCache.set(key, t);
  return t;
}

// PIL's clip8: the integer sum back to 8 bits (arithmetic shift, then clamp)
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Size after "resize shortest edge to S" (HF get_resize_output_image_size, default_to_square=False). */
export function resizedSize(width: number, height: number, imageSize: number): { width: number; height: number } {
  if (width <= height) return { width: imageSize, height: Math.trunc((imageSize * height) / width) };
  return { width: Math.trunc((imageSize * width) / height), height: imageSize };
}

/** Resize (shortest side → S, bicubic) and center crop one RGB image: S×S×3 bytes. */
export function resizeCenterCrop(rgb: Uint8Array, width: number, height: number, imageSize: number): Uint8Array {
  if (width < 1 || height < 1 || imageSize < 1) throw new ImageShapeError(`${width}×${height} image to size ${imageSize}`);
  if (rgb.length !== width * height * 3) {
    throw new ImageShapeError(`expected ${width}×${height}×3 = ${width * height * 3} bytes, got ${rgb.length}`);
  }
  const S = imageSize;
  const out = new Uint8Array(S * S * 3);
  const { width: rw, height: rh } = resizedSize(width, height, S);
  const top = Math.trunc((rh - S) / 2);
  const left = Math.trunc((rw - S) / 2);
  if (rw === width && rh === height) {
    for (let y = 0; y < S; y++) out.set(rgb.subarray(((y + top) * width + left) * 3, ((y + top) * width + left + S) * 3), y * S * 3);
    return out;
  }
  // horizontal pass (only the S cropped output columns), all input rows
  let tmp: Uint8Array = rgb;
  let tw = width;
  if (rw !== width) {
    const tx = taps(width, rw);
    tmp = new Uint8Array(height * S * 3);
    tw = S;
    for (let y = 0; y < height; y++) {
      const row = y * width * 3;
      for (let xo = 0; xo < S; xo++) {
        const xx = xo + left;
        const s = tx.start[xx]!;
        const c = tx.count[xx]!;
        const wb = xx * tx.ksize;
        let r = HALF, g = HALF, b = HALF;
        for (let k = 0; k < c; k++) {
          const w = tx.weights[wb + k]!;
          const p = row + (s + k) * 3;
          r += w * rgb[p]!;
          g += w * rgb[p + 1]!;
          b += w * rgb[p + 2]!;
        }
        const o = (y * S + xo) * 3;
        tmp[o] = clip8(r);
        tmp[o + 1] = clip8(g);
        tmp[o + 2] = clip8(b);
      }
    }
  } else if (left !== 0) {
    // no horizontal resampling but a horizontal crop
    tmp = new Uint8Array(height * S * 3);
    tw = S;
    for (let y = 0; y < height; y++) tmp.set(rgb.subarray((y * width + left) * 3, (y * width + left + S) * 3), y * S * 3);
  }
  // vertical pass (only the S cropped output rows)
  if (rh !== height) {
    const ty = taps(height, rh);
    for (let yo = 0; yo < S; yo++) {
      const yy = yo + top;
      const s = ty.start[yy]!;
      const c = ty.count[yy]!;
      const wb = yy * ty.ksize;
      for (let x = 0; x < S; x++) {
        let r = HALF, g = HALF, b = HALF;
        for (let k = 0; k < c; k++) {
          const w = ty.weights[wb + k]!;
          const p = ((s + k) * tw + x) * 3;
          r += w * tmp[p]!;
          g += w * tmp[p + 1]!;
          b += w * tmp[p + 2]!;
        }
        const o = (yo * S + x) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
  } else {
    for (let y = 0; y < S; y++) out.set(tmp.subarray((y + top) * tw * 3, ((y + top) * tw + S) * 3), y * S * 3);
  }
  return out;
}

/** Write CLIP-normalised floats of an S×S×3 byte image into `out` at element offset `offset`. */
export function normalizeInto(u8: Uint8Array, out: Float32Array, offset: number): void {
  const n = u8.length;
  for (let i = 0; i < n; i += 3) {
    out[offset + i] = LUT[u8[i]! * 3]!;
    out[offset + i + 1] = LUT[u8[i + 1]! * 3 + 1]!;
    out[offset + i + 2] = LUT[u8[i + 2]! * 3 + 2]!;
  }
}

/** CLIP preprocessing of one RGB image: [S, S, 3] floats, normalised (for `fbw predict` and batches). */
export function preprocess(rgb: Uint8Array, width: number, height: number, imageSize: number): Float32Array {
  const u8 = resizeCenterCrop(rgb, width, height, imageSize);
  const out = new Float32Array(u8.length);
  normalizeInto(u8, out, 0);
  return out;
}

/** Grey bytes (one per pixel) to RGB bytes. */
export function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) {
    const v = grey[i]!;
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}
