// The `zeroshot_head` stage: one (pretrained model, task) pair → the task's zero-shot head
// (class names × templates through the text tower, as FusionBench builds it). Input role 'model'.
import type { StageContext } from './contract.js';
import { inputWithRole, taskData } from './stageInputs.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip } from '../ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../ml/heads/zeroshotHead.js';
import { writeHead } from '../ml/heads/head.js';
import { taskInfo } from '../ml/data/index.js';

/** StageRunner for kind 'zeroshot_head'. */
export async function runZeroshotHead(ctx: StageContext): Promise<void> {
  await initBackend(ctx.device);
  const task = ctx.stage.task ?? ctx.stage.tasks?.[0];
  if (!task) throw new Error(`stage '${ctx.stage.id}' has no task`);
  const info = taskInfo(taskData(ctx, task));
  const dir = inputWithRole(ctx, 'model');
  const model = await loadClip(dir);
  try {
    ctx.progress({ step: 0, total: info.classnames.length, phase: 'head' });
    const head = buildZeroshotHead(model, await tokenizerFor(dir), info.name, info.classnames, info.templates);
    await writeHead(ctx.outDir, head);
    ctx.progress({ step: info.classnames.length, total: info.classnames.length, phase: 'head' });
    ctx.log(`zero-shot head for ${info.name}: ${info.classnames.length} classes × ${info.templates.length} templates, logit_scale ${head.logitScale.toFixed(2)}`);
  } finally {
    model.dispose();
  }
}
