// Device slots from `--devices cpu:2,gpu:0,gpu:1`: `cpu:N` is N CPU worker slots, `gpu:K` is
// the single slot of GPU K. A stage takes slots of one group ('cpu' or 'gpu'); a hint like
// `gpu:1` prefers that GPU. The environment binds a worker to its slot. The machine's cores are
// shared out between the CPU slots (cpu:1 = one slot with every core, cpu:<cores> = one core each);
// `threads=T` in the list gives each CPU slot T threads instead.
import { availableParallelism } from 'node:os';
import type { Stage } from '../compile/ir.js';

export interface DeviceSlot {
  /** 'cpu#1', 'gpu:0' */
  readonly id: string;
  /** what the stage sees as its device: 'cpu' or 'gpu:0' */
  readonly device: string;
  readonly group: 'cpu' | 'gpu';
  readonly gpuIndex?: number;
  /** threads of a CPU slot's kernels, from `threads=T`; unset = the cores divided between the CPU slots */
  readonly threads?: number;
}

/** A `--devices` value that cannot be parsed. */
export class DevicesInvalid extends Error {
  constructor(readonly spec: string, reason: string) {
    super(`--devices ${spec}: ${reason}. Expected a list like cpu:2,gpu:0,gpu:1 (cpu:N = N CPU workers, gpu:K = GPU number K, threads=T = T threads per CPU worker)`);
    this.name = 'DevicesInvalid';
  }
}

/** A stage asks for a device the run does not have. */
export class DeviceUnavailable extends Error {
  constructor(readonly stage: string, readonly wanted: string, readonly have: readonly string[]) {
    super(`stage ${stage} asks for ${wanted}, but this run has only ${have.join(', ') || 'no devices'}; pass --devices with a ${wanted.startsWith('gpu') ? 'gpu (e.g. --devices cpu:1,gpu:0)' : 'cpu (e.g. --devices cpu:2)'} or drop the device hint`);
    this.name = 'DeviceUnavailable';
  }
}

/** Default: one CPU slot per core. */
export function defaultDevices(): string {
  return `cpu:${Math.max(1, availableParallelism())}`;
}

/** Parse `--devices`. */
export function parseDevices(spec: string): DeviceSlot[] {
  const out: DeviceSlot[] = [];
  let threads: number | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const t = /^threads=(.*)$/.exec(part);
    if (t) {
      if (!/^\d+$/.test(t[1]!) || Number(t[1]) < 1) throw new DevicesInvalid(spec, `'${part}' needs a whole number of threads ≥ 1`);
      threads = Number(t[1]);
      continue;
    }
    const m = /^(cpu|gpu)(?::(\d+))?$/.exec(part);
    if (!m) throw new DevicesInvalid(spec, `'${part}' is not cpu:N or gpu:K`);
    if (m[1] === 'cpu') {
      const n = m[2] === undefined ? 1 : Number(m[2]);
      if (n < 1) throw new DevicesInvalid(spec, `'${part}' gives no CPU slots`);
      const have = out.filter((s) => s.group === 'cpu').length;
      for (let i = 0; i < n; i++) out.push({ id: `cpu#${have + i + 1}`, device: 'cpu', group: 'cpu' });
    } else {
      const k = m[2] === undefined ? 0 : Number(m[2]);
      if (out.some((s) => s.gpuIndex === k)) throw new DevicesInvalid(spec, `gpu:${k} listed twice`);
      out.push({ id: `gpu:${k}`, device: `gpu:${k}`, group: 'gpu', gpuIndex: k });
    }
  }
  if (!out.length) throw new DevicesInvalid(spec, 'no devices');
  return threads === undefined ? out : out.map((s) => (s.group === 'cpu' ? { ...s, threads } : s));
}

/** Kinds that run tensor code and go to a GPU when the run has one and the stage has no hint. */
const GPU_FIRST: ReadonlySet<string> = new Set(['pretrain', 'finetune', 'continual', 'multitask', 'eval', 'zeroshot_head', 'ensemble']);

/** Which slot group a stage runs on, and which GPU it prefers; throws DeviceUnavailable. */
export function slotRequest(stage: Stage, slots: readonly DeviceSlot[]): { group: 'cpu' | 'gpu'; count: number; prefer?: string } {
  const groups = new Set(slots.map((s) => s.group));
  const count = Math.max(1, stage.devices ?? 1);
  const hint = stage.device;
  let group: 'cpu' | 'gpu';
  let prefer: string | undefined;
  if (hint === undefined) group = groups.has('gpu') && GPU_FIRST.has(stage.kind) ? 'gpu' : groups.has('cpu') ? 'cpu' : 'gpu';
  else if (hint === 'cpu') group = 'cpu';
  else if (hint === 'gpu' || hint.startsWith('gpu:')) { group = 'gpu'; if (hint !== 'gpu') prefer = hint; }
  else throw new DeviceUnavailable(stage.id, hint, slots.map((s) => s.id));
  const n = slots.filter((s) => s.group === group).length;
  if (n === 0) throw new DeviceUnavailable(stage.id, hint ?? group, slots.map((s) => s.id));
  if (count > n) throw new DeviceUnavailable(stage.id, `${count} × ${group}`, slots.map((s) => s.id));
  return { group, count, ...(prefer ? { prefer } : {}) };
}

/** Threads of one CPU slot: its `threads=` setting, else the machine's cores divided between the CPU slots. */
export function slotThreads(slot: DeviceSlot | undefined, cpuSlots: number, cores = availableParallelism()): number {
  return slot?.threads ?? Math.max(1, Math.floor(cores / Math.max(1, cpuSlots)));
}

/** Environment that binds a worker process to its slot(s). */
export function deviceEnv(taken: readonly DeviceSlot[], cpuSlots: number, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const gpus = taken.filter((s) => s.group === 'gpu');
  env['FBW_DEVICE'] = taken.map((s) => s.device).join(',');
  if (gpus.length) {
    env['CUDA_VISIBLE_DEVICES'] = gpus.map((s) => s.gpuIndex).join(',');
  } else {
    env['CUDA_VISIBLE_DEVICES'] = '';
    // share the cores between concurrent CPU workers instead of oversubscribing them: each worker
    // (each rank of a data-parallel stage) runs its kernels on its slot's cores (FBW_THREADS)
    const slot = taken.find((s) => s.group === 'cpu');
    const threads = String(slotThreads(slot, cpuSlots));
    if (slot?.threads !== undefined) env['FBW_THREADS'] = threads;
    else env['FBW_THREADS'] ??= threads;
    env['OPENBLAS_NUM_THREADS'] ??= threads;
    env['OMP_NUM_THREADS'] ??= threads;
  }
  return env;
}
