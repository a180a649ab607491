// The six synthetic classification tasks fbw generates itself (named synth_*), so that eight
// local tasks exist with nothing downloaded. Each image is 32×32 RGB drawn from a per-image seed
// with real nuisance variation: position, size, rotation, colour jitter, gradient backgrounds,
// clutter and pixel noise, so that no task is solvable by one pixel statistic.
import type { SeededRng } from '../SeededRng.js';
import { type Canvas, type Rgb, clamp01, clutterLines, contrastingColour, gradientBackground, hsv, luma } from './raster.js';
import { DOMAIN_TASKS } from './domains.js';
import { SHAPES, drawShape } from './shapes.js';

/** A generator of one synthetic task: its classes, prompts and how to draw an example of a class. */
export interface SyntheticTask {
  readonly name: string;
  /** what the task asks, for listings */
  readonly description: string;
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
  readonly draw: (cv: Canvas, rng: SeededRng, label: number) => void;
}

function randomBackground(cv: Canvas, rng: SeededRng, satMax = 0.6): Rgb {
  const h = rng.uniform(0, 360), s = rng.uniform(0, satMax), v = rng.uniform(0.15, 0.95);
  const a = hsv(h, s, v);
  const b = hsv(h + rng.uniform(-40, 40), clamp01(s + rng.uniform(-0.2, 0.2)), clamp01(v + rng.uniform(-0.2, 0.2)));
  gradientBackground(cv, rng, a, b);
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
}

const shapes: SyntheticTask = {
  name: 'synth_shapes',
  description: 'which shape is drawn',
  classnames: SHAPES,
  templates: ['a photo of a {}.', 'a drawing of a {}.', 'a {} shape.', 'an image of a {} on a background.'],
  draw(cv, rng, label) {
    const bg = randomBackground(cv, rng);
    clutterLines(cv, rng, rng.int(0, 3), bg, 0.12);
    const r = rng.uniform(7, 12);
    const cx = rng.uniform(r + 1, cv.size - r - 1), cy = rng.uniform(r + 1, cv.size - r - 1);
    drawShape(cv, SHAPES[label]!, cx, cy, r, rng.uniform(-0.26, 0.26), contrastingColour(rng, bg, 0.25));
    cv.noise(rng, rng.uniform(0.01, 0.05));
  },
};

// hue centre, saturation range, value range per named colour
const COLOURS: readonly (readonly [string, number, readonly [number, number], readonly [number, number]])[] = [
  ['red', 0, [0.7, 1], [0.6, 1]],
  ['orange', 29, [0.75, 1], [0.8, 1]],
  ['yellow', 57, [0.7, 1], [0.8, 1]],
  ['green', 122, [0.6, 1], [0.45, 0.95]],
  ['cyan', 183, [0.6, 1], [0.7, 1]],
  ['blue', 228, [0.7, 1], [0.5, 1]],
  ['purple', 280, [0.55, 0.95], [0.45, 0.9]],
  ['pink', 330, [0.28, 0.55], [0.88, 1]],
];

const colours: SyntheticTask = {
  name: 'synth_colors',
  description: 'dominant colour',
  classnames: COLOURS.map((c) => c[0]),
  templates: ['a photo of a {} object.', 'a {} shape.', 'something coloured {}.', 'an image of a {} thing on a grey background.'],
  draw(cv, rng, label) {
    const [, hue, sat, val] = COLOURS[label]!;
    const c = hsv(hue + rng.uniform(-10, 10), rng.uniform(sat[0], sat[1]), rng.uniform(val[0], val[1]));
    let bg: Rgb = [0.5, 0.5, 0.5];
    for (let t = 0; t < 16; t++) {
      const g = rng.uniform(0.05, 0.95);
      bg = hsv(rng.uniform(0, 360), rng.uniform(0, 0.12), g);
      if (Math.abs(luma(bg) - luma(c)) > 0.18) break;
    }
    const bg2 = hsv(rng.uniform(0, 360), rng.uniform(0, 0.12), clamp01(luma(bg) + rng.uniform(-0.1, 0.1)));
    gradientBackground(cv, rng, bg, bg2);
    clutterLines(cv, rng, rng.int(0, 4), bg, 0.2);
    const r = rng.uniform(6, 12);
    const cx = rng.uniform(r + 1, cv.size - r - 1), cy = rng.uniform(r + 1, cv.size - r - 1);
    drawShape(cv, rng.pick(SHAPES), cx, cy, r, rng.uniform(-0.5, 0.5), c);
    cv.noise(rng, rng.uniform(0.01, 0.05));
  },
};

// angle of the stripes' normal (image coordinates, y down), per class
const STRIPE_NORMALS: readonly number[] = [90, 0, 45, 135];

const stripes: SyntheticTask = {
  name: 'synth_stripes',
  description: 'stripe orientation',
  classnames: ['horizontal', 'vertical', 'rising diagonal', 'falling diagonal'],
  templates: ['a pattern of {} stripes.', 'an image with {} stripes.', 'a photo of {} lines.'],
  draw(cv, rng, label) {
    const a = hsv(rng.uniform(0, 360), rng.uniform(0, 0.9), rng.uniform(0.1, 1));
    const b = contrastingColour(rng, a, 0.25, [0, 0.9]);
    const ang = ((STRIPE_NORMALS[label]! + rng.uniform(-10, 10)) * Math.PI) / 180;
    const nx = Math.cos(ang), ny = Math.sin(ang);
    const period = rng.uniform(4, 9), phase = rng.next(), sharp = rng.uniform(1.2, 3);
    cv.fill((x, y) => {
      const s = Math.sin(2 * Math.PI * ((x * nx + y * ny) / period + phase));
      const t = clamp01(0.5 + sharp * s);
      return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
    });
    for (let k = rng.int(0, 2); k > 0; k--) {
      const r = rng.uniform(2, 4);
      drawShape(cv, 'circle', rng.uniform(0, cv.size), rng.uniform(0, cv.size), r, 0, contrastingColour(rng, a, 0.1));
    }
    cv.noise(rng, rng.uniform(0.01, 0.06));
  },
};

const NUMBERS = ['one', 'two', 'three', 'four', 'five', 'six'] as const;

const counting: SyntheticTask = {
  name: 'synth_counting',
  description: 'how many objects',
  classnames: NUMBERS,
  templates: ['a photo of {} dots.', 'an image with {} dots.', 'a picture showing {} circles.'],
  draw(cv, rng, label) {
    const bg = randomBackground(cv, rng);
    clutterLines(cv, rng, rng.int(0, 3), bg, 0.1);
    const colour = contrastingColour(rng, bg, 0.3);
    const r = rng.uniform(2, 3.3);
    const placed: [number, number][] = [];
    for (let tries = 0; placed.length < label + 1 && tries < 2000; tries++) {
      const x = rng.uniform(r + 1, cv.size - r - 1), y = rng.uniform(r + 1, cv.size - r - 1);
      if (placed.every(([px, py]) => Math.hypot(px - x, py - y) > 2 * r + 2.5)) placed.push([x, y]);
    }
    for (const [x, y] of placed) drawShape(cv, 'circle', x, y, r * rng.uniform(0.85, 1.15), 0, colour);
    cv.noise(rng, rng.uniform(0.01, 0.05));
  },
};

const POSITIONS = ['top left', 'top center', 'top right', 'center left', 'center', 'center right', 'bottom left', 'bottom center', 'bottom right'] as const;

const position: SyntheticTask = {
  name: 'synth_position',
  description: 'where the object is (3x3 grid)',
  classnames: POSITIONS,
  templates: ['a blob in the {} of the image.', 'a photo of an object at the {}.', 'a small shape positioned at the {}.'],
  draw(cv, rng, label) {
    const bg = randomBackground(cv, rng);
    clutterLines(cv, rng, rng.int(0, 4), bg, 0.1);
    const cell = cv.size / 3;
    const col = label % 3, row = Math.floor(label / 3);
    const r = rng.uniform(3, 5);
    const cx = (col + 0.5) * cell + rng.uniform(-2, 2), cy = (row + 0.5) * cell + rng.uniform(-2, 2);
    drawShape(cv, rng.pick(SHAPES), cx, cy, r, rng.uniform(-0.5, 0.5), contrastingColour(rng, bg, 0.3));
    cv.noise(rng, rng.uniform(0.01, 0.05));
  },
};

const TEXTURES = ['dots', 'checkers', 'waves', 'noise', 'grid', 'zigzag', 'rings', 'bricks'] as const;

// intensity in [0, 1] of texture `kind` at (x, y), given its random parameters
function texture(kind: (typeof TEXTURES)[number], x: number, y: number, p: { s: number; ox: number; oy: number; rot: number; field: Float32Array; size: number }): number {
  const c = Math.cos(p.rot), sn = Math.sin(p.rot);
  const u = (x - p.ox) * c - (y - p.oy) * sn, v = (x - p.ox) * sn + (y - p.oy) * c;
  const s = p.s;
  const fr = (t: number): number => t - Math.floor(t);
  switch (kind) {
    case 'dots': {
      const dx = fr(u / s) - 0.5, dy = fr(v / s) - 0.5;
      return clamp01((0.3 - Math.hypot(dx, dy)) * s * 0.9 + 0.5);
    }
    case 'checkers':
      return (Math.floor(u / s) + Math.floor(v / s)) % 2 === 0 ? 1 : 0;
    case 'waves':
      return clamp01(0.5 + 1.5 * Math.sin((2 * Math.PI * (v + 2.2 * Math.sin((2 * Math.PI * u) / (s * 2.5)))) / s));
    case 'noise': {
      const xi = Math.min(p.size - 1, Math.max(0, Math.floor(x))), yi = Math.min(p.size - 1, Math.max(0, Math.floor(y)));
      return p.field[yi * p.size + xi]!;
    }
    case 'grid': {
      const dx = Math.abs(fr(u / s) - 0.5) * s, dy = Math.abs(fr(v / s) - 0.5) * s;
      return Math.min(dx, dy) < 0.7 ? 1 : 0;
    }
    case 'zigzag': {
      const tri = Math.abs(fr(u / s) - 0.5) * s;
      return clamp01(0.5 + 1.5 * Math.sin((2 * Math.PI * (v + tri * 1.5)) / s));
    }
    case 'rings':
      return clamp01(0.5 + 1.5 * Math.sin((2 * Math.PI * Math.hypot(x - p.ox, y - p.oy)) / s));
    case 'bricks': {
      const rowH = s * 0.6;
      const row = Math.floor(v / rowH);
      const uu = u + (row % 2 === 0 ? 0 : s / 2);
      const mx = Math.abs(fr(uu / s) - 0.5) * s, my = Math.abs(fr(v / rowH) - 0.5) * rowH;
      return mx > s / 2 - 0.7 || my > rowH / 2 - 0.7 ? 1 : 0;
    }
    default: {
      const never: never = kind;
      throw new Error(`unhandled texture ${String(never)}`);
    }
  }
}

const textures: SyntheticTask = {
  name: 'synth_textures',
  description: 'texture kind',
  classnames: TEXTURES,
  templates: ['a photo of a {} texture.', 'a {} pattern.', 'an image of a {} surface.'],
  draw(cv, rng, label) {
    const a = hsv(rng.uniform(0, 360), rng.uniform(0, 0.9), rng.uniform(0.1, 1));
    const b = contrastingColour(rng, a, 0.25, [0, 0.9]);
    const kind = TEXTURES[label]!;
    const field = new Float32Array(cv.size * cv.size);
    if (kind === 'noise') for (let i = 0; i < field.length; i++) field[i] = rng.next() < 0.5 ? 0 : 1;
    const p = {
      s: kind === 'rings' ? rng.uniform(4, 7) : rng.uniform(5, 9),
      ox: rng.uniform(0, cv.size),
      oy: rng.uniform(0, cv.size),
      rot: kind === 'rings' || kind === 'noise' ? 0 : rng.uniform(-0.35, 0.35),
      field,
      size: cv.size,
    };
    cv.fill((x, y) => {
      const t = texture(kind, x, y, p);
      return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
    });
    cv.noise(rng, rng.uniform(0.01, 0.06));
  },
};

/** Every synthetic task, in the order they are listed to users: the six above (one picture kind
 *  labelled six ways), then the four with their own image domains (domains.ts). */
export const SYNTHETIC_TASKS: readonly SyntheticTask[] = [shapes, colours, stripes, counting, position, textures, ...DOMAIN_TASKS];
