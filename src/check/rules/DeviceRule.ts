// Device hints are spelled the way the scheduler names slots: cpu, gpu, gpu:N (FBW0109).
import { error } from '../../diagnostics/diagnostic.js';
import type * as A from '../../syntax/ast.js';
import { didYouMean } from '../../util/suggest.js';
import type { Rule } from '../CheckContext.js';

/** The device kinds a hint may name. */
export const DEVICE_KINDS: readonly string[] = ['cpu', 'gpu'];

/** FBW0109: unknown device kinds and bad indices. */
export const DeviceRule: Rule = (ctx) => {
  const check = (d: A.Device | undefined): void => {
    if (!d) return;
    if (!DEVICE_KINDS.includes(d.name.text)) {
      const s = didYouMean(d.name.text, DEVICE_KINDS) ?? (/^(cuda|nvidia|gpu\d+)$/.test(d.name.text) ? 'gpu' : undefined);
      ctx.report(error('FBW0109', d.name.span, `unknown device '${d.name.text}'`, s ? `did you mean '${s}'? (devices: cpu, gpu, gpu:N)` : 'devices: cpu, gpu, gpu:N'));
      return;
    }
    if (d.index !== undefined && (!Number.isInteger(d.index) || d.index < 0)) {
      ctx.report(error('FBW0109', d.span, `invalid device index ${d.index}`, 'device indices are whole numbers from 0, e.g. gpu:1'));
    }
  };
  for (const [p] of ctx.pipelines()) {
    const src = p.source;
    if (src.kind === 'finetune' || src.kind === 'pretrain' || src.kind === 'eval') check(src.device);
    for (const s of p.steps) if (s.kind === 'merge' || s.kind === 'eval') check(s.device);
  }
};
