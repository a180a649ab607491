// Four synthetic tasks that each have their OWN image domain (issue 13), unlike the shape-on-a-
// gradient tasks in tasks.ts which label the same pictures by different factors: whole-image
// landscapes (an analog of SUN397/EuroSAT), cartoon facial expressions (FER2013), stroke-drawn
// capital letters (EMNIST letters) and flag layouts. Every picture carries nuisance variation
// (layout, colour, size, tilt, noise) so that no single pixel statistic names the class.
import type { SeededRng } from '../SeededRng.js';
import { type Canvas, type Rgb, clamp01, contrastingColour, fillDisc, fillPolygon, fillRect, gradientBackground, hsv, jitteredHsv, luma, mix, strokePolyline } from './raster.js';
import type { SyntheticTask } from './tasks.js';

type Pt = readonly [number, number];

// ---------------------------------------------------------------- scenes

const SCENES = ['beach', 'forest', 'desert', 'snowfield', 'ocean', 'night sky', 'city', 'farmland'] as const;

/** A daytime (or, one time in five, dusk) sky colour pair: top and near the horizon. */
function daySky(rng: SeededRng): [Rgb, Rgb] {
  if (rng.next() < 0.2) return [jitteredHsv(rng, 250, 25, [0.3, 0.6], [0.45, 0.7]), jitteredHsv(rng, 25, 15, [0.4, 0.8], [0.8, 1])];
  const top = jitteredHsv(rng, 212, 14, [0.35, 0.75], [0.6, 0.95]);
  return [top, mix(top, [1, 1, 1], rng.uniform(0.2, 0.6))];
}

/** Sky above `horizon` (a function of x), ground colour below; ground darkens towards the bottom. */
function skyAndGround(cv: Canvas, sky: [Rgb, Rgb], ground: Rgb, horizon: (x: number) => number, groundFar: Rgb = ground): void {
  const S = cv.size;
  cv.fill((x, y) => {
    const h = horizon(x);
    if (y < h) return mix(sky[0], sky[1], clamp01(y / Math.max(1, h)));
    return mix(groundFar, ground, clamp01((y - h) / Math.max(1, S - h)));
  });
}

function drawScene(cv: Canvas, rng: SeededRng, label: number): void {
  const S = cv.size;
  const H = rng.uniform(9, 22);
  const flat = (): number => H;
  switch (SCENES[label]) {
    case 'beach': {
      const sand = jitteredHsv(rng, 40, 8, [0.25, 0.5], [0.75, 0.95]);
      const sea = jitteredHsv(rng, 198, 15, [0.5, 0.9], [0.5, 0.8]);
      const shore = H + rng.uniform(3, 8), amp = rng.uniform(0.5, 1.5), ph = rng.uniform(0, 6.28);
      skyAndGround(cv, daySky(rng), sand, flat);
      cv.fill((x, y) => (y < H ? pixel(cv, x, y) : y < shore + amp * Math.sin(x / 3 + ph) ? mix(sea, [1, 1, 1], y > shore - 1 + amp * Math.sin(x / 3 + ph) ? 0.5 : 0) : pixel(cv, x, y)));
      if (rng.next() < 0.5) fillDisc(cv, rng.uniform(3, S - 3), rng.uniform(2, H - 2), rng.uniform(1.5, 3), jitteredHsv(rng, 50, 8, [0.4, 0.8], [0.95, 1]));
      break;
    }
    case 'ocean': {
      const sea = jitteredHsv(rng, 210, 15, [0.55, 0.9], [0.3, 0.65]);
      skyAndGround(cv, daySky(rng), sea, flat, mix(sea, [1, 1, 1], 0.15));
      const crest = mix(sea, [1, 1, 1], rng.uniform(0.35, 0.6));
      for (let k = rng.int(5, 10); k > 0; k--) {
        const y = rng.uniform(H + 2, S - 1), x = rng.uniform(-2, S - 4), len = rng.uniform(4, 9) * (0.5 + (y - H) / (S - H));
        strokePolyline(cv, [[x, y], [x + len / 2, y - 1.2], [x + len, y]], 0.45, crest);
      }
      if (rng.next() < 0.3) {
        const bx = rng.uniform(5, S - 5), by = H + rng.uniform(1, 4);
        fillPolygon(cv, [[bx - 3, by], [bx + 3, by], [bx + 2, by + 1.5], [bx - 2, by + 1.5]], [0.3, 0.2, 0.15]);
        fillPolygon(cv, [[bx, by - 5], [bx, by - 0.3], [bx + 2.5, by - 0.3]], [0.95, 0.95, 0.9]);
      }
      break;
    }
    case 'forest': {
      const grass = jitteredHsv(rng, 105, 20, [0.45, 0.8], [0.3, 0.55]);
      skyAndGround(cv, daySky(rng), grass, flat);
      const leaf = jitteredHsv(rng, 125, 20, [0.5, 0.9], [0.15, 0.4]);
      for (let k = rng.int(6, 12); k > 0; k--) {
        const x = rng.uniform(-2, S + 2), base = H + rng.uniform(-1, 6), h = rng.uniform(7, 15), w = rng.uniform(2.5, 5);
        strokePolyline(cv, [[x, base], [x, base + 2]], 0.5, [0.3, 0.2, 0.1]);
        fillPolygon(cv, [[x, base - h], [x + w, base], [x - w, base]], mix(leaf, [0, 0, 0], rng.uniform(0, 0.3)));
      }
      break;
    }
    case 'desert': {
      const sand = jitteredHsv(rng, 33, 8, [0.45, 0.75], [0.7, 0.95]);
      const a1 = rng.uniform(1, 3), f1 = rng.uniform(0.1, 0.3), p1 = rng.uniform(0, 6.28);
      skyAndGround(cv, daySky(rng), sand, (x) => H + a1 * Math.sin(f1 * x + p1), mix(sand, [1, 1, 1], 0.2));
      const shade = mix(sand, [0.3, 0.15, 0.05], rng.uniform(0.2, 0.35));
      for (let k = rng.int(1, 3); k > 0; k--) {
        const y0 = rng.uniform(H + 3, S - 2), f = rng.uniform(0.15, 0.35), p = rng.uniform(0, 6.28), a = rng.uniform(1, 2.5);
        cv.fill((x, y) => (y > y0 + a * Math.sin(f * x + p) && y < y0 + a * Math.sin(f * x + p) + 2.5 ? mix(pixel(cv, x, y), shade, 0.6) : pixel(cv, x, y)));
      }
      if (rng.next() < 0.6) fillDisc(cv, rng.uniform(3, S - 3), rng.uniform(2, H - 3), rng.uniform(1.5, 3), [1, 0.95, 0.7]);
      if (rng.next() < 0.4) {
        const x = rng.uniform(4, S - 4), y = rng.uniform(H + 4, S - 2), c = jitteredHsv(rng, 120, 15, [0.5, 0.8], [0.3, 0.5]);
        strokePolyline(cv, [[x, y], [x, y - 8]], 0.9, c);
        strokePolyline(cv, [[x - 3, y - 6], [x - 3, y - 4], [x, y - 4]], 0.6, c);
      }
      break;
    }
    case 'snowfield': {
      const snow = jitteredHsv(rng, 210, 15, [0, 0.12], [0.85, 1]);
      const sky: [Rgb, Rgb] = rng.next() < 0.5 ? daySky(rng) : [jitteredHsv(rng, 215, 15, [0.02, 0.2], [0.55, 0.8]), jitteredHsv(rng, 215, 15, [0.02, 0.15], [0.75, 0.95])];
      skyAndGround(cv, sky, mix(snow, [0.5, 0.6, 0.75], 0.2), flat, snow);
      if (rng.next() < 0.6) {
        const rock = jitteredHsv(rng, 220, 20, [0.05, 0.25], [0.35, 0.6]);
        for (let k = rng.int(1, 3); k > 0; k--) {
          const x = rng.uniform(0, S), w = rng.uniform(5, 10), h = rng.uniform(4, 9);
          fillPolygon(cv, [[x - w, H + 0.5], [x, H - h], [x + w, H + 0.5]], rock);
          fillPolygon(cv, [[x - w * 0.35, H - h * 0.65], [x, H - h], [x + w * 0.35, H - h * 0.65]], snow);
        }
      }
      const shadow = mix(snow, [0.45, 0.55, 0.75], 0.35);
      for (let k = rng.int(1, 4); k > 0; k--) {
        const y = rng.uniform(H + 2, S - 1), x = rng.uniform(-4, S - 6);
        strokePolyline(cv, [[x, y], [x + 5, y - 0.8], [x + 11, y + 0.4]], 0.5, shadow);
      }
      break;
    }
    case 'night sky': {
      const top = jitteredHsv(rng, 235, 15, [0.5, 0.9], [0.03, 0.18]);
      const ground = jitteredHsv(rng, rng.uniform(0, 360), 0, [0, 0.4], [0.02, 0.12]);
      const a = rng.uniform(0.5, 3), f = rng.uniform(0.1, 0.3), p = rng.uniform(0, 6.28);
      skyAndGround(cv, [top, mix(top, [0.3, 0.3, 0.5], rng.uniform(0, 0.4))], ground, (x) => H + 3 + a * Math.sin(f * x + p));
      for (let k = rng.int(8, 25); k > 0; k--) {
        const x = rng.int(0, S - 1), y = rng.int(0, Math.floor(H)), b = rng.uniform(0.6, 1);
        cv.blend(x, y, [b, b, b * rng.uniform(0.8, 1)], 1);
      }
      if (rng.next() < 0.6) fillDisc(cv, rng.uniform(4, S - 4), rng.uniform(3, Math.max(4, H - 2)), rng.uniform(1.5, 3), jitteredHsv(rng, 50, 10, [0.05, 0.3], [0.85, 1]));
      break;
    }
    case 'city': {
      skyAndGround(cv, daySky(rng), jitteredHsv(rng, 0, 180, [0, 0.1], [0.2, 0.45]), (): number => H + 3);
      let x = rng.uniform(-3, 0);
      while (x < S) {
        const w = rng.uniform(4, 8), h = rng.uniform(5, Math.min(20, H + 1));
        const wall = jitteredHsv(rng, rng.uniform(0, 360), 0, [0, 0.25], [0.2, 0.6]);
        fillRect(cv, x, H + 3 - h, x + w - 0.7, H + 3, wall);
        const lit = jitteredHsv(rng, 50, 10, [0.3, 0.8], [0.85, 1]), dark = mix(wall, [0, 0, 0], 0.5);
        for (let wy = Math.ceil(H + 4 - h); wy < H + 1; wy += 2) {
          for (let wx = Math.ceil(x + 1); wx < x + w - 1.5; wx += 2) if (wx >= 0 && wx < S && wy >= 0) cv.blend(wx, wy, rng.next() < 0.5 ? lit : dark, 0.9);
        }
        x += w;
      }
      break;
    }
    case 'farmland': {
      const crop = jitteredHsv(rng, rng.next() < 0.5 ? 95 : 40, 15, [0.4, 0.8], [0.4, 0.75]);
      const soil = jitteredHsv(rng, 28, 10, [0.4, 0.7], [0.25, 0.45]);
      const sky = daySky(rng);
      const vx = rng.uniform(-10, S + 10), rows = rng.uniform(5, 9);
      cv.fill((x, y) => {
        if (y < H) return mix(sky[0], sky[1], y / H);
        const t = Math.atan2(x - vx, y - H + 0.5);
        return Math.sin(rows * 2 * t) > 0 ? crop : soil;
      });
      if (rng.next() < 0.3) {
        const bx = rng.uniform(2, S - 8), bw = rng.uniform(4, 6), bh = rng.uniform(3, 5);
        fillRect(cv, bx, H - bh, bx + bw, H + 0.5, jitteredHsv(rng, 5, 8, [0.6, 0.9], [0.5, 0.8]));
      }
      break;
    }
    default:
      throw new Error(`unhandled scene ${label}`);
  }
  // camera nuisance: a colour cast (white balance / haze) and exposure, so palettes overlap
  const cast = hsv(rng.uniform(0, 360), rng.uniform(0, 0.8), rng.uniform(0.3, 1));
  const castAmount = rng.uniform(0, 0.3);
  for (let i = 0; i < cv.px.length; i++) cv.px[i] = cv.px[i]! * (1 - castAmount) + cast[i % 3]! * castAmount;
  brightness(cv, rng.uniform(0.7, 1.2));
  cv.noise(rng, rng.uniform(0.01, 0.05));
}

/** the canvas colour at a pixel centre, for fills that only change some pixels */
function pixel(cv: Canvas, x: number, y: number): Rgb {
  const o = (Math.floor(y) * cv.size + Math.floor(x)) * 3;
  return [cv.px[o]!, cv.px[o + 1]!, cv.px[o + 2]!];
}

function brightness(cv: Canvas, k: number): void {
  for (let i = 0; i < cv.px.length; i++) cv.px[i] = clamp01(cv.px[i]! * k);
}

const scenes: SyntheticTask = {
  name: 'synth_scenes',
  description: 'which landscape scene',
  classnames: SCENES,
  templates: ['a photo of a {}.', 'a picture of a {} scene.', 'a landscape showing a {}.', 'a drawing of a {}.'],
  draw: drawScene,
};

// ---------------------------------------------------------------- faces

const FACES = ['happy', 'sad', 'surprised', 'angry', 'sleepy', 'neutral'] as const;

function drawFace(cv: Canvas, rng: SeededRng, label: number): void {
  const S = cv.size;
  const bgA = hsv(rng.uniform(0, 360), rng.uniform(0, 0.5), rng.uniform(0.2, 0.95));
  gradientBackground(cv, rng, bgA, mix(bgA, hsv(rng.uniform(0, 360), 0.4, rng.uniform(0.2, 1)), 0.5));
  const skin = contrastingColour(rng, bgA, 0.2, [0.2, 0.8]);
  const r = rng.uniform(10, 14.5);
  const cx = S / 2 + rng.uniform(-1.5, 1.5), cy = S / 2 + rng.uniform(-1.5, 1.5), tilt = rng.uniform(-0.2, 0.2);
  const cs = Math.cos(tilt), sn = Math.sin(tilt);
  // face-local (u, v) in radii, v down, to canvas coordinates
  const at = (u: number, v: number): Pt => [cx + r * (u * cs - v * sn), cy + r * (u * sn + v * cs)];
  fillDisc(cv, cx, cy, r, skin, r * rng.uniform(1, 1.12));
  const ink: Rgb = luma(skin) > 0.45 ? hsv(rng.uniform(0, 360), rng.uniform(0, 0.5), rng.uniform(0, 0.2)) : hsv(rng.uniform(0, 360), rng.uniform(0, 0.2), rng.uniform(0.85, 1));
  const w = rng.uniform(0.65, 0.95);
  const ex = rng.uniform(0.34, 0.42), ey = rng.uniform(-0.26, -0.18), my = rng.uniform(0.38, 0.48), mw = rng.uniform(0.32, 0.45);
  const expr = FACES[label]!;
  for (const side of [-1, 1]) {
    const [x, y] = at(side * ex, ey);
    if (expr === 'sleepy') strokePolyline(cv, [at(side * ex - 0.17, ey + 0.02), at(side * ex, ey + 0.08), at(side * ex + 0.17, ey + 0.02)], w, ink);
    else if (expr === 'surprised') fillDisc(cv, x, y, r * rng.uniform(0.12, 0.16), ink, r * rng.uniform(0.15, 0.2));
    else fillDisc(cv, x, y, r * rng.uniform(0.08, 0.12), ink);
    // brows: angry slope down to the middle, sad slope up to the middle, surprised raised high
    const bx = side * ex, by = ey - rng.uniform(0.2, 0.26);
    if (expr === 'angry') strokePolyline(cv, [at(bx + side * 0.17, by - 0.1), at(bx - side * 0.17, by + 0.1)], w * 0.9, ink);
    else if (expr === 'sad') strokePolyline(cv, [at(bx + side * 0.17, by + 0.08), at(bx - side * 0.17, by - 0.1)], w * 0.9, ink);
    else if (expr === 'surprised') strokePolyline(cv, [at(bx - 0.15, by - 0.05), at(bx, by - 0.13), at(bx + 0.15, by - 0.05)], w * 0.8, ink);
  }
  // mouth: a parabola whose bend gives the expression (positive = corners up)
  const bend = { happy: rng.uniform(0.15, 0.25), sad: -rng.uniform(0.13, 0.22), angry: -rng.uniform(0, 0.06), sleepy: rng.uniform(-0.03, 0.03), neutral: rng.uniform(-0.03, 0.03), surprised: 0 }[expr];
  if (expr === 'surprised') {
    const [x, y] = at(0, my);
    fillDisc(cv, x, y, r * rng.uniform(0.12, 0.18), ink, r * rng.uniform(0.15, 0.22));
  } else {
    const half = expr === 'sleepy' ? mw * 0.6 : expr === 'angry' ? mw * 1.15 : mw;
    const pts: Pt[] = [];
    for (let i = 0; i <= 6; i++) {
      const u = -half + (2 * half * i) / 6;
      pts.push(at(u, my + bend * (1 - (u / half) ** 2) - bend * 0.5));
    }
    strokePolyline(cv, pts, w, ink);
  }
  cv.noise(rng, rng.uniform(0.01, 0.05));
}

const faces: SyntheticTask = {
  name: 'synth_faces',
  description: 'facial expression of a cartoon face',
  classnames: FACES,
  templates: ['a photo of a {} looking face.', 'a cartoon of a {} face.', 'a face with a {} expression.', 'a drawing of a {} person.'],
  draw: drawFace,
};

// ---------------------------------------------------------------- letters

/** Points on an ellipse arc in the letter box (x right 0..0.7, y down 0..1), angles in degrees. */
function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = 10): Pt[] {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = ((from + ((to - from) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as Pt;
  });
}

// A tiny hand-made stroke font: each capital letter is a list of polylines in a box 0.7 wide, 1 high.
const STROKE_FONT: readonly (readonly [string, readonly (readonly Pt[])[]])[] = [
  ['A', [[[0, 1], [0.35, 0], [0.7, 1]], [[0.13, 0.63], [0.57, 0.63]]]],
  ['C', [arc(0.38, 0.5, 0.36, 0.5, -45, -315, 14)]],
  ['E', [[[0.65, 0], [0, 0], [0, 1], [0.65, 1]], [[0, 0.5], [0.5, 0.5]]]],
  ['F', [[[0.65, 0], [0, 0], [0, 1]], [[0, 0.5], [0.5, 0.5]]]],
  ['H', [[[0, 0], [0, 1]], [[0.7, 0], [0.7, 1]], [[0, 0.5], [0.7, 0.5]]]],
  ['L', [[[0, 0], [0, 1], [0.6, 1]]]],
  ['O', [arc(0.35, 0.5, 0.35, 0.5, 0, 360, 16)]],
  ['S', [[...arc(0.35, 0.25, 0.3, 0.25, -20, -270, 9), ...arc(0.35, 0.75, 0.33, 0.25, -90, 160, 9)]]],
  ['T', [[[0, 0], [0.7, 0]], [[0.35, 0], [0.35, 1]]]],
  ['X', [[[0, 0], [0.7, 1]], [[0.7, 0], [0, 1]]]],
];

function drawLetter(cv: Canvas, rng: SeededRng, label: number): void {
  const S = cv.size;
  const bg = hsv(rng.uniform(0, 360), rng.uniform(0, 0.7), rng.uniform(0.05, 1));
  gradientBackground(cv, rng, bg, mix(bg, hsv(rng.uniform(0, 360), rng.uniform(0, 0.7), rng.uniform(0.05, 1)), rng.uniform(0, 0.4)));
  const ink = contrastingColour(rng, bg, 0.3, [0, 0.9]);
  const h = rng.uniform(15, 24), sx = h * rng.uniform(0.8, 1.2), slant = rng.uniform(-0.3, 0.3), rot = rng.uniform(-0.15, 0.15);
  const cx = S / 2 + rng.uniform(-3, 3), cy = S / 2 + rng.uniform(-3, 3);
  const cs = Math.cos(rot), sn = Math.sin(rot);
  const wobble = rng.uniform(0, 0.04);
  const w = rng.uniform(0.7, 1.8);
  for (const line of STROKE_FONT[label]![1]) {
    const pts = line.map(([x, y]): Pt => {
      const u = (x - 0.35 + rng.uniform(-wobble, wobble)) * sx + (0.5 - y) * slant * h, v = (y - 0.5 + rng.uniform(-wobble, wobble)) * h;
      return [cx + u * cs - v * sn, cy + u * sn + v * cs];
    });
    strokePolyline(cv, pts, w, ink);
  }
  cv.noise(rng, rng.uniform(0.01, 0.06));
}

// Class names are the bare capitals, as FusionBench's emnist_letters has them (classnames/tall.ts
// EMNIST_LETTERS), so captions learnt here ("a photo of the digit character: "A".") are the very
// strings that task's zero-shot head is built from; CLIP's tokenizer lowercases them anyway.
const letters: SyntheticTask = {
  name: 'synth_letters',
  description: 'which capital letter is drawn',
  classnames: STROKE_FONT.map((l) => l[0]),
  templates: ['a photo of the digit character: "{}".', 'a photo of the letter "{}".', 'the letter {}, handwritten.'],
  draw: drawLetter,
};

// ---------------------------------------------------------------- flags

const FLAGS = ['tricolour', 'nordic cross', 'saltire', 'canton', 'disc', 'diagonal', 'quartered', 'triangle'] as const;

/** Which of the flag's colours (0, 1, 2) lies at flag coordinates (u, v) in [0, 1]² for a layout. */
function flagColourIndex(kind: (typeof FLAGS)[number], u: number, v: number, p: { vertical: boolean; bar: number; disc: number; cx: number }): number {
  switch (kind) {
    case 'tricolour': {
      const t = p.vertical ? u : v;
      return t < 1 / 3 ? 0 : t < 2 / 3 ? 1 : 2;
    }
    case 'nordic cross':
      return Math.abs(u - p.cx) < p.bar || Math.abs(v - 0.5) < p.bar ? 1 : 0;
    case 'saltire':
      return Math.abs(u - v) < p.bar * 1.2 || Math.abs(u + v - 1) < p.bar * 1.2 ? 1 : 0;
    case 'canton':
      return u < 0.45 && v < 0.5 ? 1 : p.vertical && Math.floor(v * 6) % 2 === 1 ? 2 : 0;
    case 'disc':
      return Math.hypot(u - p.cx, v - 0.5) < p.disc ? 1 : 0;
    case 'diagonal':
      return p.vertical ? (u + v < 1 ? 0 : 1) : u - v < -p.bar ? 0 : u - v > p.bar ? 2 : 1;
    case 'quartered':
      return (u < 0.5) === (v < 0.5) ? 0 : 1;
    case 'triangle':
      return u < 0.5 * (1 - 2 * Math.abs(v - 0.5)) ? 1 : p.vertical ? (v < 0.5 ? 0 : 2) : 0;
    default: {
      const never: never = kind;
      throw new Error(`unhandled flag ${String(never)}`);
    }
  }
}

function drawFlag(cv: Canvas, rng: SeededRng, label: number): void {
  const kind = FLAGS[label]!;
  const colours: Rgb[] = [hsv(rng.uniform(0, 360), rng.uniform(0, 1), rng.uniform(0.2, 1))];
  while (colours.length < 3) colours.push(contrastingColour(rng, colours[colours.length - 1]!, 0.2, [0, 1]));
  const p = { vertical: rng.next() < 0.5, bar: rng.uniform(0.07, 0.12), disc: rng.uniform(0.2, 0.33), cx: kind === 'disc' ? rng.uniform(0.4, 0.55) : rng.uniform(0.3, 0.4) };
  const mirror = kind !== 'canton' && kind !== 'triangle' && rng.next() < 0.5;
  // the cloth waves: v shifts with a travelling sine and folds shade it
  const amp = rng.uniform(0, 0.06), freq = rng.uniform(0.8, 2), phase = rng.uniform(0, 6.28), shade = rng.uniform(0, 0.25);
  const S = cv.size;
  cv.fill((x, y) => {
    let acc: [number, number, number] = [0, 0, 0];
    for (const [ox, oy] of [[-0.25, -0.25], [0.25, -0.25], [-0.25, 0.25], [0.25, 0.25]] as const) {
      let u = (x + ox) / S;
      const v = (y + oy) / S + amp * Math.sin(2 * Math.PI * freq * u + phase);
      if (mirror) u = 1 - u;
      const c = colours[flagColourIndex(kind, u, v, p)]!;
      acc = [acc[0] + c[0] / 4, acc[1] + c[1] / 4, acc[2] + c[2] / 4];
    }
    const k = 1 - shade * (0.5 + 0.5 * Math.cos(2 * Math.PI * freq * (x / S) + phase));
    return [acc[0] * k, acc[1] * k, acc[2] * k];
  });
  cv.noise(rng, rng.uniform(0.01, 0.05));
}

const flags: SyntheticTask = {
  name: 'synth_flags',
  description: 'flag layout',
  classnames: FLAGS,
  templates: ['a photo of a {} flag.', 'a flag with a {} design.', 'a {} flag waving.'],
  draw: drawFlag,
};

/** The distinct-domain synthetic tasks, listed after the six in tasks.ts. */
export const DOMAIN_TASKS: readonly SyntheticTask[] = [scenes, faces, letters, flags];
