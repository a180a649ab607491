// `fbw why FILE STAGE`: which key component changed since the stage's last committed result,
// following changed inputs back to the stage where the change started.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { loadWorkflow, loadFailure } from '../../plan/loadWorkflow.js';
import { explainStage } from '../../plan/explainStage.js';
import { Store } from '../../store/Store.js';
import { locateStore } from '../../store/locateStore.js';
import { didYouMean } from '../../util/suggest.js';

export const why: Command = {
  name: 'why',
  summary: 'say which key component of a stage changed since its last committed result',
  help: `Usage: fbw why FILE STAGE [--store DIR]

Compares the key components of STAGE now (kind, method, parameters, input keys, dataset
fingerprints, implementation version, seed, model file contents) with those of its last
committed result, and explains each change; a changed input is explained in turn.

Exit codes: 0 explained, 1 the workflow has errors or no such stage, 2 usage error.

Example:
  fbw why sweep.fbw finetune.lora.mnist
`,
  flags: ['store'],
  async run(args, io) {
    let v;
    try { v = parseArgs({ args: [...args], allowPositionals: true, options: { store: { type: 'string' } } }); } catch (e) {
      io.stderr.write(`fbw why: ${(e as Error).message}\n`); return 2;
    }
    const [file, stageId] = v.positionals;
    if (!file || !stageId) { io.stderr.write(`fbw why: expected FILE and STAGE\nRun 'fbw why --help' for usage.\n`); return 2; }
    const w = await loadWorkflow(file, io.cwd);
    if (!w.ok) { io.stderr.write(loadFailure('why', w)); return w.exitCode; }
    if (!w.graph.stages.some((s) => s.id === stageId)) {
      const hint = didYouMean(stageId, w.graph.stages.map((s) => s.id));
      io.stderr.write(`fbw why: no stage '${stageId}' in ${file}${hint ? ` — did you mean '${hint}'?` : ` (fbw plan ${file} lists them)`}\n`);
      return 1;
    }
    const store = new Store(locateStore({ cwd: io.cwd, env: io.env, store: v.values.store, file: w.graph.file }));
    io.stdout.write((await explainStage(w.graph, store, stageId, { env: io.env })).join('\n') + '\n');
    return 0;
  },
};
