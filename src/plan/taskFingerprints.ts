// Dataset fingerprints for stage keys, computed lazily and once per task per process. They come
// from the data engine (src/ml/data/index.ts: `fingerprintTask(name)` or `loadTask(name).fingerprint`);
// a task that cannot be fingerprinted (data missing) makes only the stages that need it fail.

/** A task's data is unavailable; carried to run time so only the stages needing it fail. */
export class DatasetUnavailable extends Error {
  constructor(readonly task: string, readonly reason: string) {
    super(`dataset '${task}': ${reason}`);
    this.name = 'DatasetUnavailable';
  }
}

export type Fingerprint = { readonly ok: true; readonly fingerprint: string } | { readonly ok: false; readonly error: string };

type DataModule = {
  fingerprintTask?: (name: string) => string | Promise<string>;
  loadTask?: (name: string, ...rest: unknown[]) => unknown;
};

// a variable specifier: the data engine is loaded only when a stage needs a fingerprint
const DATA_MODULE = '../ml/data/index.js';

/** Fingerprints by task name for one planning pass. */
export class TaskFingerprints {
  private readonly memo = new Map<string, Promise<Fingerprint>>();
  private mod: Promise<DataModule | undefined> | undefined;

  constructor(private readonly override?: (task: string) => Promise<string>) {}

  private data(): Promise<DataModule | undefined> {
    this.mod ??= import(new URL(DATA_MODULE, import.meta.url).href).then((m) => m as DataModule, () => undefined);
    return this.mod;
  }

  get(task: string): Promise<Fingerprint> {
    let p = this.memo.get(task);
    if (!p) {
      p = this.compute(task).then((fingerprint) => ({ ok: true as const, fingerprint }), (e: unknown) => ({ ok: false as const, error: e instanceof Error ? e.message : String(e) }));
      this.memo.set(task, p);
    }
    return p;
  }

  private async compute(task: string): Promise<string> {
    if (this.override) return this.override(task);
    const m = await this.data();
    if (m?.fingerprintTask) return await m.fingerprintTask(task);
    if (m?.loadTask) {
      const t = (await m.loadTask(task, 'test')) as { fingerprint?: unknown };
      if (typeof t?.fingerprint === 'string') return t.fingerprint;
    }
    // no data engine in this build: the name stands in for the content
    return `name:${task}`;
  }
}
