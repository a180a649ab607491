// What a stage asks SLURM for: CPUs, memory, time and GPUs from the stage itself (device hint,
// number of devices, kind) and the site's options (partition, account, qos, extra sbatch lines).

import type { Stage, StageKind } from '../../compile/ir.js';
import type { SlurmOptions, KindResources } from './config.js';

/** Resources of one job, ready to become #SBATCH lines. */
export interface SlurmResources {
  readonly cpusPerTask: number;
  /** sbatch --mem value, e.g. "4G" */
  readonly mem?: string;
  /** sbatch --time value, e.g. "02:00:00" */
  readonly time?: string;
  /** GPUs as --gres=gpu:k (0 = none) */
  readonly gpus: number;
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** training stages may be requeued after preemption (they resume from their checkpoint) */
  readonly requeue: boolean;
  /** extra sbatch options, verbatim (e.g. "--constraint=a100") */
  readonly extra: readonly string[];
}

/** Built-in defaults per stage kind, before the site's options apply. */
function kindDefaults(kind: StageKind): Required<Pick<KindResources, 'cpus' | 'mem'>> & { readonly train: boolean } {
  switch (kind) {
    case 'pretrain': case 'finetune': case 'continual': case 'multitask':
      return { cpus: 2, mem: '8G', train: true };
    case 'merge': case 'ensemble':
      return { cpus: 1, mem: '8G', train: false };
    case 'eval': case 'zeroshot_head':
      return { cpus: 1, mem: '4G', train: false };
    case 'pretrained': case 'report':
      return { cpus: 1, mem: '1G', train: false };
    default: { const never: never = kind; return never; }
  }
}

/** GPUs a stage asks for through its device hint: 'gpu' / 'gpu:N' → `devices` (default 1), else 0. */
export function stageGpus(stage: Stage): number {
  const d = stage.device;
  if (d === undefined || !/^gpu(:\d+)?$/.test(d)) return 0;
  return Math.max(1, stage.devices ?? 1);
}

/** The resources of a stage's job under the given options (options override kind defaults). */
export function stageResources(stage: Stage, options: SlurmOptions): SlurmResources {
  const base = kindDefaults(stage.kind);
  const o: KindResources = { ...options.defaults, ...options.kinds?.[stage.kind] };
  const hinted = stageGpus(stage);
  const gpus = hinted > 0 ? hinted : (o.gpus ?? 0);
  const mem = o.mem ?? base.mem;
  const time = o.time;
  return {
    cpusPerTask: o.cpus ?? base.cpus,
    gpus,
    requeue: base.train,
    extra: [...(options.sbatch ?? []), ...(o.sbatch ?? [])],
    ...(mem !== undefined ? { mem } : {}),
    ...(time !== undefined ? { time } : {}),
    ...(options.partition !== undefined ? { partition: options.partition } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
    ...(options.qos !== undefined ? { qos: options.qos } : {}),
  };
}
