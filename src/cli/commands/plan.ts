// `fbw plan FILE`: what `fbw run` would do, per stage — cached, resumable from step N, or to
// run — and why; nothing runs and the store is only read.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { loadWorkflow, loadFailure } from '../../plan/loadWorkflow.js';
import { planRun, formatPlan } from '../../plan/planRun.js';
import { predictedFailures } from '../../plan/predictedFailures.js';
import { Store } from '../../store/Store.js';
import { locateStore } from '../../store/locateStore.js';

export const plan: Command = {
  name: 'plan',
  summary: 'show, per stage, cached / resumable / to run, and why',
  help: `Usage: fbw plan FILE [--store DIR] [--json]

For each stage of FILE in run order: "cached" (committed and verified in the store),
"resumable from step N" (a checkpoint of an interrupted run exists), or "to run", with the
reason (never run, which key component changed, an input will run, a corrupt artifact).

Exit codes: 0 every stage can run, 1 the workflow has errors or some stage will fail (a model
or data folder is missing: listed on stderr), 2 usage error.

Options:
  --store DIR   the store (default: .fbw/ beside FILE)
  --json        one JSON object per stage: {id, status, fromStep?, key, reason}

Example:
  fbw plan workflows/quickstart.fbw
`,
  flags: ['store', 'json'],
  async run(args, io) {
    let v;
    try { v = parseArgs({ args: [...args], allowPositionals: true, options: { store: { type: 'string' }, json: { type: 'boolean' } } }); } catch (e) {
      io.stderr.write(`fbw plan: ${(e as Error).message}\n`); return 2;
    }
    const file = v.positionals[0];
    if (!file || v.positionals.length > 1) { io.stderr.write(`fbw plan: expected one workflow FILE\nRun 'fbw plan --help' for usage.\n`); return 2; }
    const w = await loadWorkflow(file, io.cwd);
    if (!w.ok) { io.stderr.write(loadFailure('plan', w)); return w.exitCode; }
    const store = new Store(locateStore({ cwd: io.cwd, env: io.env, store: v.values.store, file: w.graph.file }));
    const p = await planRun(w.graph, store, { env: io.env });
    if (v.values.json) {
      for (const s of p.stages) io.stdout.write(JSON.stringify({ id: s.stage.id, status: s.status, ...(s.fromStep !== undefined ? { fromStep: s.fromStep } : {}), ...(s.key ? { key: s.key } : {}), reason: s.reason }) + '\n');
    } else {
      io.stdout.write(formatPlan(p).join('\n') + '\n');
    }
    // a plan that knows stages will fail is not a clean bill: scripts (and `fbw run`) stop here
    const failing = predictedFailures(p);
    if (failing.length) {
      io.stderr.write(`fbw plan: ${failing.length} stage${failing.length === 1 ? '' : 's'} will fail; \`fbw run\` will not start until ${failing.length === 1 ? 'it is' : 'they are'} fixed:\n${failing.map((f) => `  ${f.stage}: ${f.error}\n`).join('')}`);
      return 1;
    }
    return 0;
  },
};
