// After the stages: the run's outputs outside the store. The committed report is copied into
// runs/<id>/report/ and stamped with the run's provenance, then into the folder the workflow's
// `report "DIR"` names; every `-> save "DIR"` output is copied where asked. None of this is part
// of a key, and a failure here is logged to the stage's log, never a failed stage.
import { existsSync, mkdirSync, copyFileSync, readdirSync, appendFileSync, statSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import type { Plan } from '../plan/planRun.js';
import type { Store } from '../store/Store.js';
import { MANIFEST } from '../store/manifest.js';
import { diskFullCode } from '../store/diskFull.js';
import { stampReport, runProvenance, rowSpecs } from '../report/stampReport.js';

export interface PublishInput {
  readonly store: Store;
  readonly run: string;
  readonly plan: Plan;
  /** how a stage ended when its output exists in the store: run now ('ok') or reused ('cached') */
  readonly committed: (stageId: string) => 'ok' | 'cached' | undefined;
  readonly workflowDir: string;
  /** the workflow file and the backend, for the report's provenance */
  readonly file: string;
  readonly backend: string;
  readonly logOf: (stageId: string) => string;
}

export interface Published {
  /** runs/<id>/report/report.json, when the run has a report */
  readonly report?: string;
  /** the disk filled while copying (its errno code) */
  readonly diskFull?: string;
}

/**
 * Copy a committed artifact's files into `dir` (each written beside and renamed into place).
 * A cached artifact is copied only when a file is missing there or its size differs.
 */
export function saveCopy(store: Store, key: string, dir: string, always: boolean): void {
  const m = store.readManifest(key);
  if (!m) return;
  const src = store.objectDir(key);
  const stale = always || m.files.some((f) => { try { return statSync(join(dir, ...f.path.split('/'))).size !== f.size; } catch { return true; } });
  if (!stale) return;
  for (const f of m.files) {
    const to = join(dir, ...f.path.split('/'));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(src, ...f.path.split('/')), `${to}.tmp-${process.pid}`);
    renameSync(`${to}.tmp-${process.pid}`, to);
  }
}

/** Publish the run's report and saved outputs (see the header). */
export async function publishOutputs(i: PublishInput): Promise<Published> {
  const { store, run, plan, committed, workflowDir, file, backend, logOf } = i;
  let report: string | undefined;
  let diskFull: string | undefined;
  // the run's report: copy the committed report stage's files into runs/<id>/report/
  for (const p of plan.stages) {
    if (p.stage.kind !== 'report' || !p.key) continue;
    if (!committed(p.stage.id)) continue;
    const src = store.objectDir(p.key);
    const dst = join(store.runDir(run), 'report');
    try { mkdirSync(dst, { recursive: true }); } catch (e) {
      const code = diskFullCode(e);
      if (code === undefined) throw e;
      diskFull ??= code;
      continue;
    }
    for (const f of readdirSync(src)) if (f !== MANIFEST && !f.startsWith('.')) { try { copyFileSync(join(src, f), join(dst, f)); } catch (e) { diskFull ??= diskFullCode(e); /* else a sub-folder */ } }
    if (existsSync(join(dst, 'report.json'))) {
      report = join(dst, 'report.json');
      // the run's copy names its run, workflow, version, seeds and each row's parameters
      const stages = plan.stages.map((q) => q.stage);
      const prov = runProvenance({ run, workflow: file, backend, store: store.root }, stages);
      await stampReport(dst, prov, rowSpecs(p.stage, stages)).catch((e: unknown) => {
        appendFileSync(logOf(p.stage.id), `${new Date().toISOString()} cannot stamp the run's report with its provenance: ${(e as Error).message}\n`);
      });
    }
    // `report "DIR"` in the workflow: the files also land where the user asked, beside the workflow
    const userDir = p.stage.params['dir'];
    if (typeof userDir === 'string' && userDir) {
      const out = resolve(workflowDir, userDir);
      try {
        mkdirSync(out, { recursive: true });
        for (const f of readdirSync(dst)) copyFileSync(join(dst, f), join(out, f));
      } catch (e) {
        appendFileSync(logOf(p.stage.id), `${new Date().toISOString()} cannot copy the report to ${out}: ${(e as Error).message}\n`);
      }
    }
  }
  // `-> save "DIR"`: a committed output is also copied where the workflow asked (not part of the key)
  for (const p of plan.stages) {
    const r = committed(p.stage.id);
    if (!p.stage.saveTo || !p.key || !r) continue;
    try { saveCopy(store, p.key, p.stage.saveTo, r === 'ok'); } catch (e) {
      const log = logOf(p.stage.id);
      mkdirSync(dirname(log), { recursive: true });
      appendFileSync(log, `${new Date().toISOString()} cannot save the output to ${p.stage.saveTo}: ${(e as Error).message}\n`);
    }
  }
  return { ...(report ? { report } : {}), ...(diskFull ? { diskFull } : {}) };
}
