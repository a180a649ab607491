// Test helpers: real model folders (safetensors + config.json) in temp dirs, graphs built from
// plain Stage objects, and journal readers — so each test case stays a few lines.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph, Stage, StageInput, Json } from '../../src/compile/ir.js';
import { writeSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';
import { readJournal } from '../../src/store/journal.js';
import type { RunEvent } from '../../src/protocol/events.js';
import { tempDir as sharedTempDir } from '../shared/helpers.js';

export const tempDir = (prefix = 'fbw-sched-'): string => sharedTempDir(prefix);

/** A small model folder in the HF layout with deterministic weights (seeded). */
export async function makeModelDir(dir: string, seed: number, hidden = 8): Promise<string> {
  mkdirSync(dir, { recursive: true });
  let s = seed >>> 0 || 1;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  const t = (shape: number[]): NamedTensor => { const n = shape.reduce((a, b) => a * b, 1); const d = new Float32Array(n); for (let i = 0; i < n; i++) d[i] = rnd(); return { shape, data: d }; };
  const m = new Map<string, NamedTensor>([
    ['vision_model.encoder.layers.0.self_attn.q_proj.weight', t([hidden, hidden])],
    ['vision_model.encoder.layers.0.self_attn.q_proj.bias', t([hidden])],
    ['visual_projection.weight', t([4, hidden])],
  ]);
  await writeSafetensors(join(dir, 'model.safetensors'), m);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'clip', projection_dim: 4, vision_config: { hidden_size: hidden } }));
  return dir;
}

export function stage(id: string, kind: Stage['kind'], method: string, params: { [k: string]: Json }, inputs: StageInput[] = [], extra: Partial<Stage> = {}): Stage {
  return { id, kind, method, params, inputs, output: kind === 'eval' ? 'metrics' : kind === 'report' ? 'report' : 'model', label: id, ...extra };
}

/** A pretrained stage reading a local model folder. */
export function pretrained(id: string, path: string, extra: Partial<Stage> = {}): Stage {
  return stage(id, 'pretrained', 'local', { path }, [], extra);
}

export function graph(file: string, stages: Stage[]): Graph {
  return { file, stages };
}

export function events(journal: string): RunEvent[] {
  return readJournal(journal);
}

export function eventsOf<K extends RunEvent['event']>(journal: string, kind: K): Extract<RunEvent, { event: K }>[] {
  return readJournal(journal).filter((e): e is Extract<RunEvent, { event: K }> => e.event === kind);
}

export function readJson<T = unknown>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}
