// The shape vocabulary shared by the synthetic tasks (synth_shapes names them; others reuse
// them as objects), drawn anti-aliased from signed distances.
import { type Canvas, type Rgb, ngon, polygon, sdPolygon } from './raster.js';

/** The eight shape classes of synth_shapes, in label order. */
export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'ring', 'star', 'hexagon'] as const;
export type Shape = (typeof SHAPES)[number];

const UNIT: { readonly [K in Exclude<Shape, 'circle' | 'ring'>]: readonly (readonly [number, number])[] } = {
  square: [[-0.78, -0.78], [0.78, -0.78], [0.78, 0.78], [-0.78, 0.78]],
  triangle: ngon(3).map(([x, y]) => [x * 1.1, y * 1.1 + 0.15] as const),
  diamond: [[0, -1.05], [0.68, 0], [0, 1.05], [-0.68, 0]],
  cross: [[-0.32, -1], [0.32, -1], [0.32, -0.32], [1, -0.32], [1, 0.32], [0.32, 0.32], [0.32, 1], [-0.32, 1], [-0.32, 0.32], [-1, 0.32], [-1, -0.32], [-0.32, -0.32]],
  star: ngon(5, 0.42).map(([x, y]) => [x * 1.1, y * 1.1 + 0.08] as const),
  hexagon: ngon(6),
};

/** Draw `shape` of radius r centred at (cx, cy), rotated by rot radians. */
export function drawShape(cv: Canvas, shape: Shape, cx: number, cy: number, r: number, rot: number, colour: Rgb): void {
  const bbox = [cx - r * 1.2, cy - r * 1.2, cx + r * 1.2, cy + r * 1.2] as const;
  switch (shape) {
    case 'circle':
      cv.drawSdf((x, y) => Math.hypot(x - cx, y - cy) - r, colour, bbox);
      return;
    case 'ring': {
      const mid = r * 0.72, half = Math.max(0.9, r * 0.24);
      cv.drawSdf((x, y) => Math.abs(Math.hypot(x - cx, y - cy) - mid) - half, colour, bbox);
      return;
    }
    case 'square':
    case 'triangle':
    case 'diamond':
    case 'cross':
    case 'star':
    case 'hexagon': {
      const { vx, vy } = polygon(UNIT[shape], cx, cy, r, rot);
      cv.drawSdf((x, y) => sdPolygon(vx, vy, x, y), colour, bbox);
      return;
    }
    default: {
      const never: never = shape;
      throw new Error(`unhandled shape ${String(never)}`);
    }
  }
}
