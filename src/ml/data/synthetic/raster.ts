// A tiny float rasteriser for the synthetic tasks: anti-aliased shapes from signed distances
// (polygon SDF after Inigo Quilez, https://iquilezles.org/articles/distfunctions2d/), HSV colours,
// backgrounds, clutter and noise. Everything draws into an RGB float canvas in [0, 1].
import type { SeededRng } from '../SeededRng.js';

export type Rgb = readonly [number, number, number];

/** A size×size RGB float canvas. */
export class Canvas {
  readonly px: Float32Array;
  constructor(readonly size: number) {
    this.px = new Float32Array(size * size * 3);
  }

  /** blend colour c with coverage a (0..1) at pixel (x, y) */
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (a <= 0) return;
    const o = (y * this.size + x) * 3;
    const b = a > 1 ? 1 : a;
    this.px[o] = this.px[o]! * (1 - b) + c[0] * b;
    this.px[o + 1] = this.px[o + 1]! * (1 - b) + c[1] * b;
    this.px[o + 2] = this.px[o + 2]! * (1 - b) + c[2] * b;
  }

  /** paint every pixel with f(x, y) (pixel centres at +0.5) */
  fill(f: (x: number, y: number) => Rgb): void {
    const S = this.size;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const c = f(x + 0.5, y + 0.5);
        const o = (y * S + x) * 3;
        this.px[o] = c[0];
        this.px[o + 1] = c[1];
        this.px[o + 2] = c[2];
      }
    }
  }

  /** draw a shape given by a signed distance (negative inside), anti-aliased over one pixel */
  drawSdf(sdf: (x: number, y: number) => number, c: Rgb, bbox: readonly [number, number, number, number]): void {
    const S = this.size;
    const x0 = Math.max(0, Math.floor(bbox[0] - 1));
    const y0 = Math.max(0, Math.floor(bbox[1] - 1));
    const x1 = Math.min(S - 1, Math.ceil(bbox[2] + 1));
    const y1 = Math.min(S - 1, Math.ceil(bbox[3] + 1));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) this.blend(x, y, c, 0.5 - sdf(x + 0.5, y + 0.5));
  }

  /** additive Gaussian pixel noise of standard deviation sigma, then clamp to [0, 1] */
  noise(rng: SeededRng, sigma: number): void {
    for (let i = 0; i < this.px.length; i++) {
      const v = this.px[i]! + sigma * rng.normal();
      this.px[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }

  /** bytes of the canvas, rounded */
  toBytes(out: Uint8Array, offset: number): void {
    for (let i = 0; i < this.px.length; i++) {
      const v = this.px[i]!;
      out[offset + i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
}

/** HSV (h in degrees, s and v in 0..1) to RGB. */
export function hsv(h: number, s: number, v: number): Rgb {
  const hh = (((h % 360) + 360) % 360) / 60;
  const c = v * s;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  const m = v - c;
  const [r, g, b] = hh < 1 ? [c, x, 0] : hh < 2 ? [x, c, 0] : hh < 3 ? [0, c, x] : hh < 4 ? [0, x, c] : hh < 5 ? [x, 0, c] : [c, 0, x];
  return [r + m, g + m, b + m];
}

/** Relative luminance-ish brightness, to keep foreground and background apart. */
export function luma(c: Rgb): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** A random colour whose brightness differs from `avoid` by at least `minDiff`. */
export function contrastingColour(rng: SeededRng, avoid: Rgb, minDiff: number, sat: readonly [number, number] = [0.4, 1]): Rgb {
  for (let tries = 0; tries < 32; tries++) {
    const c = hsv(rng.uniform(0, 360), rng.uniform(sat[0], sat[1]), rng.uniform(0.2, 1));
    if (Math.abs(luma(c) - luma(avoid)) >= minDiff) return c;
  }
  return luma(avoid) > 0.5 ? [0.05, 0.05, 0.05] : [0.95, 0.95, 0.95];
}

/** Signed distance to a closed polygon (negative inside). */
export function sdPolygon(vx: Float64Array, vy: Float64Array, px: number, py: number): number {
  const n = vx.length;
  let d = (px - vx[0]!) ** 2 + (py - vy[0]!) ** 2;
  let s = 1;
  for (let i = 0, j = n - 1; i < n; j = i, i++) {
    const ex = vx[j]! - vx[i]!, ey = vy[j]! - vy[i]!;
    const wx = px - vx[i]!, wy = py - vy[i]!;
    const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    const bx = wx - ex * t, by = wy - ey * t;
    d = Math.min(d, bx * bx + by * by);
    const c1 = py >= vy[i]!, c2 = py < vy[j]!, c3 = ex * wy > ey * wx;
    if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
  }
  return s * Math.sqrt(d);
}

/** Polygon from unit-radius vertices (angle, radius) scaled, rotated and moved to (cx, cy). */
export function polygon(unit: readonly (readonly [number, number])[], cx: number, cy: number, r: number, rot: number): { vx: Float64Array; vy: Float64Array } {
  const vx = new Float64Array(unit.length);
  const vy = new Float64Array(unit.length);
  const cs = Math.cos(rot), sn = Math.sin(rot);
  unit.forEach(([ux, uy], i) => {
    vx[i] = cx + r * (ux * cs - uy * sn);
    vy[i] = cy + r * (ux * sn + uy * cs);
  });
  return { vx, vy };
}

/** Regular n-gon (first vertex pointing up), unit radius. */
export function ngon(n: number, inner?: number): (readonly [number, number])[] {
  const pts: [number, number][] = [];
  const k = inner === undefined ? n : 2 * n;
  for (let i = 0; i < k; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / k;
    const rr = inner !== undefined && i % 2 === 1 ? inner : 1;
    pts.push([rr * Math.cos(a), rr * Math.sin(a)]);
  }
  return pts;
}

/** A soft background: a linear gradient between two colours at a random angle. */
export function gradientBackground(cv: Canvas, rng: SeededRng, a: Rgb, b: Rgb): void {
  const ang = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(ang) / cv.size, dy = Math.sin(ang) / cv.size;
  cv.fill((x, y) => {
    const t = Math.min(1, Math.max(0, 0.5 + (x - cv.size / 2) * dx + (y - cv.size / 2) * dy));
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  });
}

/** Thin low-contrast line segments: clutter that is not any class's object. */
export function clutterLines(cv: Canvas, rng: SeededRng, count: number, base: Rgb, amount: number): void {
  for (let k = 0; k < count; k++) {
    const x0 = rng.uniform(0, cv.size), y0 = rng.uniform(0, cv.size);
    const ang = rng.uniform(0, Math.PI), len = rng.uniform(4, 12);
    const x1 = x0 + len * Math.cos(ang), y1 = y0 + len * Math.sin(ang);
    const shade = rng.uniform(-amount, amount);
    const c: Rgb = [clamp01(base[0] + shade), clamp01(base[1] + shade), clamp01(base[2] + shade)];
    const w = rng.uniform(0.4, 0.9);
    cv.drawSdf((x, y) => sdSegment(x, y, x0, y0, x1, y1) - w, c, [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)]);
  }
}

/** Distance to a line segment. */
export function sdSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const pax = px - ax, pay = py - ay, bax = bx - ax, bay = by - ay;
  const h = Math.min(1, Math.max(0, (pax * bax + pay * bay) / (bax * bax + bay * bay)));
  return Math.hypot(pax - bax * h, pay - bay * h);
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** A polyline stroke of half-width w (pixels) through the points, anti-aliased. */
export function strokePolyline(cv: Canvas, pts: readonly (readonly [number, number])[], w: number, c: Rgb): void {
  for (let i = 0; i + 1 < pts.length; i++) {
    const [x0, y0] = pts[i]!, [x1, y1] = pts[i + 1]!;
    cv.drawSdf((x, y) => sdSegment(x, y, x0, y0, x1, y1) - w, c, [Math.min(x0, x1) - w, Math.min(y0, y1) - w, Math.max(x0, x1) + w, Math.max(y0, y1) + w]);
  }
}

/** A filled disc (or ellipse with ry) centred at (cx, cy), anti-aliased. */
export function fillDisc(cv: Canvas, cx: number, cy: number, r: number, c: Rgb, ry: number = r): void {
  const k = ry / r;
  cv.drawSdf((x, y) => Math.hypot(x - cx, (y - cy) / k) - r, c, [cx - r, cy - ry, cx + r, cy + ry]);
}

/** An axis-aligned filled rectangle [x0, x1]×[y0, y1] with anti-aliased edges. */
export function fillRect(cv: Canvas, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  const mx = (x0 + x1) / 2, my = (y0 + y1) / 2, hx = (x1 - x0) / 2, hy = (y1 - y0) / 2;
  cv.drawSdf((x, y) => Math.max(Math.abs(x - mx) - hx, Math.abs(y - my) - hy), c, [x0, y0, x1, y1]);
}

/** A filled polygon given by absolute vertices, anti-aliased. */
export function fillPolygon(cv: Canvas, pts: readonly (readonly [number, number])[], c: Rgb): void {
  const vx = Float64Array.from(pts, (p) => p[0]), vy = Float64Array.from(pts, (p) => p[1]);
  cv.drawSdf((x, y) => sdPolygon(vx, vy, x, y), c, [Math.min(...vx), Math.min(...vy), Math.max(...vx), Math.max(...vy)]);
}

/** A colour from HSV ranges: hue centre ± jitter, saturation and value drawn from their ranges. */
export function jitteredHsv(rng: SeededRng, h: number, dh: number, s: readonly [number, number], v: readonly [number, number]): Rgb {
  return hsv(h + rng.uniform(-dh, dh), rng.uniform(s[0], s[1]), rng.uniform(v[0], v[1]));
}

/** Linear mix of two colours (t = 0 gives a). */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
