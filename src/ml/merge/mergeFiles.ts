// The streaming merge engine: open the inputs, check that they line up tensor by tensor, run the
// method's whole-model passes (if any), then one merge pass that reads a chunk of every input,
// merges it and appends it to the output. Peak memory is two chunks per input (double-buffered
// reads overlap the merge), never a whole model, whatever the model size.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsWriter, type Dtype, type TensorSpec } from '../io/safetensors.js';
import { StateDictSource } from './StateDictSource.js';
import type { Chunk, PassContext, StreamingMerge } from './method.js';
import { MergeInputError, MergeInputMismatch } from './errors.js';
import { isLinearWeight } from './kernels.js';
import { Interrupted } from '../../util/interrupted.js';

/** Where the checkpoints are and what to report while merging. */
export interface MergeFilesOptions {
  /** pretrained model: a .safetensors file or a model folder (needed by task-vector methods) */
  readonly base?: string;
  /** models to merge, in order (weights and DARE masks follow this order) */
  readonly models: readonly string[];
  /** a .safetensors file, or a folder that receives model.safetensors plus the base's config/tokenizer files */
  readonly out: string;
  /**
   * name prefixes of the tensors to merge (default: all). Other tensors are copied from the base
   * and left out of whole-model statistics — e.g. ['vision_model.'] merges a CLIP checkpoint the
   * way FusionBench merges CLIPVisionModel.
   */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
  /** elements done / total of the current pass; `pass` counts from 1 to `passes` */
  readonly onProgress?: (p: { pass: number; passes: number; done: number; total: number }) => void;
  /** elements per streamed chunk (default 1 Mi) */
  readonly chunkElements?: number;
  /** stops the merge between chunks (Interrupted; no output is left behind) */
  readonly signal?: AbortSignal;
  /** stored dtype of the output's float tensors (default F32: merging happens in float32 either way) */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/** What a merge did: tensors written, merged and left alone, and bytes read from disk over all passes. */
export interface MergeFilesResult {
  readonly tensors: number;
  /** tensors the method merged */
  readonly merged: number;
  /** values merged (the length of FusionBench's flattened state-dict vector) */
  readonly values: number;
  /** base tensors no model has (e.g. the text tower of vision-only fine-tunes): copied from the base */
  readonly leftAlone: readonly string[];
  readonly bytesRead: number;
  /** the safetensors file written */
  readonly file: string;
}

const FLOAT: ReadonlySet<Dtype> = new Set<Dtype>(['F32', 'F16', 'BF16', 'F64']);
const BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** files of a Hugging Face model folder that a merged model keeps from its base */
const SIDE_FILES = /^(config\.json|generation_config\.json|preprocessor_config\.json|vocab\.json|merges\.txt|tokenizer(_config)?\.json|special_tokens_map\.json|added_tokens\.json|.*\.model)$/;

interface Entry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly numel: number;
  readonly dtype: Dtype;
  /** merged by the method (float, in scope, not removed) */
  readonly merged: boolean;
  /** float, outside `only`: copied from the base, and checked for changes in the models */
  readonly outOfScope: boolean;
  /** every model has this tensor (else it is copied from the base: left alone, or outside `only`) */
  readonly inModels: boolean;
  readonly linearWeight: boolean;
}

interface Job { readonly e: Entry; readonly start: number; readonly length: number }

/** a promise that may be abandoned when a later step throws: still rejects when awaited, never "unhandled" */
function quiet<T>(p: Promise<T>): Promise<T> { p.catch(() => undefined); return p; }

function numelOf(shape: readonly number[]): number { let n = 1; for (const d of shape) n *= d; return n; }

/** a few names, and how many more: for one-line messages */
function summarise(names: readonly string[]): string {
  const prefixes = [...new Set(names.map((n) => n.split('.')[0]!))];
  return `${names.slice(0, 3).join(', ')}${names.length > 3 ? `, ... (${names.length} in all, under ${prefixes.slice(0, 3).map((p) => `${p}.`).join(', ')})` : ''}`;
}

/**
 * Merge safetensors checkpoints with a merge whose arguments are resolved (the catalogue's
 * `streamingMerge` in src/registry/methods builds one); see `fbw merge --help`.
 */
export async function mergeFiles(m: StreamingMerge, opts: MergeFilesOptions): Promise<MergeFilesResult> {
  const log = opts.log ?? (() => undefined);
  if (opts.models.length < 1) throw new MergeInputError(m.name, 'no models to merge; give at least one with --models');
  if (m.needsBase && !opts.base) throw new MergeInputError(m.name, 'needs the pretrained model its task vectors are relative to; give it with --base');
  const chunkElements = opts.chunkElements ?? 1 << 20;

  const opened: StateDictSource[] = [];
  const open = async (path: string): Promise<StateDictSource> => { const s = await StateDictSource.open(path); opened.push(s); return s; };
  let writer: SafetensorsWriter | undefined;
  try {
    const base = opts.base ? await open(opts.base) : undefined;
    const models: StateDictSource[] = [];
    for (const path of opts.models) models.push(await open(path));
    const ref = base ?? models[0]!;
    const removed = new Set(m.removedKeys);
    for (const k of removed) if (!ref.has(k)) log(`${m.name}: remove_keys entry '${k}' is not a tensor of ${ref.path}; ignored`);

    // the inputs must line up: same names, same shapes. Tensors outside `only` need not be in the
    // models at all; a tensor of the base that no model has (vision-only fine-tunes of a full
    // CLIP) is left at the base value and named; one that only some models have is an error.
    const entries: Entry[] = [];
    const position = new Map<string, number>();
    const leftAlone: string[] = [];
    const inScopeOf = (name: string): boolean => !opts.only || opts.only.some((pre) => name.startsWith(pre));
    for (const info of ref.tensors()) {
      const inScope = inScopeOf(info.name);
      const others = models.filter((s) => s !== ref);
      const having = others.filter((s) => s.has(info.name));
      const inModels = having.length === others.length;
      if (inScope && !inModels) {
        const missing = others.find((s) => !s.has(info.name))!;
        if (!base || having.length > 0) throw new MergeInputMismatch(info.name, missing.path, `is missing (present in ${having[0]?.path ?? ref.path}); merged models must share the base's tensor names`);
        leftAlone.push(info.name);
      }
      for (const s of having) {
        const o = s.info(info.name);
        if (o.shape.length !== info.shape.length || o.shape.some((d, i) => d !== info.shape[i])) {
          throw new MergeInputMismatch(info.name, s.path, `has shape [${o.shape.join(', ')}] but ${ref.path} has [${info.shape.join(', ')}]; the checkpoints are of different architectures`);
        }
        if (FLOAT.has(info.dtype) !== FLOAT.has(o.dtype)) throw new MergeInputMismatch(info.name, s.path, `is ${o.dtype} but ${ref.path} has ${info.dtype}`);
      }
      position.set(info.name, entries.length);
      const float = FLOAT.has(info.dtype);
      entries.push({
        name: info.name, shape: info.shape, numel: numelOf(info.shape), dtype: info.dtype,
        merged: float && inScope && inModels && !removed.has(info.name),
        outOfScope: float && !inScope,
        inModels,
        linearWeight: isLinearWeight(info.name, info.shape),
      });
    }
    for (const s of models) {
      if (s === ref) continue;
      for (const info of s.tensors()) if (!ref.has(info.name)) throw new MergeInputMismatch(info.name, s.path, `is not in ${ref.path}; merged models must share the base's tensor names`);
    }
    if (leftAlone.length) log(`${m.name}: ${leftAlone.length} tensor(s) of the base are in none of the models and were left at the base value: ${summarise(leftAlone)}`);
    const mergedEntries = entries.filter((e) => e.merged);
    if (mergedEntries.length === 0) throw new MergeInputError(m.name, `no float tensors to merge${opts.only ? ` under ${opts.only.join(', ')}` : ''}`);
    const numel = mergedEntries.reduce((a, e) => a + e.numel, 0);

    // chunked streaming with read-ahead
    let bytesRead = 0;
    const inputs: (StateDictSource | undefined)[] = [base, ...models];
    const width = Math.min(chunkElements, Math.max(...entries.map((e) => e.numel)));
    const bufs = [0, 1].map(() => inputs.map((s) => (s ? new Float32Array(width) : undefined)));
    const jobsOf = (list: readonly Entry[]): Job[] => {
      const jobs: Job[] = [];
      for (const e of list) for (let s = 0; s < e.numel || (e.numel === 0 && s === 0); s += chunkElements) { jobs.push({ e, start: s, length: Math.min(chunkElements, e.numel - s) }); if (e.numel === 0) break; }
      return jobs;
    };
    const load = (j: Job, slot: number, which: readonly boolean[]): Promise<unknown> => quiet(Promise.all(inputs.map((s, x) => {
      if (!s || !which[x] || j.length === 0) return undefined;
      bytesRead += j.length * BYTES[s.info(j.e.name).dtype];
      return s.readInto(j.e.name, bufs[slot]![x]!, j.start, j.length);
    })));
    const allInputs = inputs.map((s) => s !== undefined);
    // methods without a base (averages) never read it for the tensors they merge
    const mergeInputs = inputs.map((s, x) => s !== undefined && (x > 0 || m.needsBase));
    const stream = async (jobs: readonly Job[], which: (j: Job) => readonly boolean[], visit: (j: Job, c: Chunk, slot: number) => void | Promise<void>, progress: (done: number) => void): Promise<void> => {
      let pending = jobs.length ? load(jobs[0]!, 0, which(jobs[0]!)) : undefined;
      let done = 0;
      for (let j = 0; j < jobs.length; j++) {
        await pending;
        if (opts.signal?.aborted) throw new Interrupted(0, 'merge');
        const job = jobs[j]!;
        const slot = j & 1;
        pending = j + 1 < jobs.length ? load(jobs[j + 1]!, (j + 1) & 1, which(jobs[j + 1]!)) : undefined;
        const b = bufs[slot]!;
        const chunk: Chunk = {
          name: job.e.name, shape: job.e.shape, start: job.start, length: job.length, linearWeight: job.e.linearWeight,
          base: base && m.needsBase ? b[0]!.subarray(0, job.length) : undefined,
          models: models.map((_, k) => b[k + 1]!.subarray(0, job.length)),
        };
        await visit(job, chunk, slot);
        done += job.length;
        progress(done);
      }
      await pending;
    };

    let pass = 0;
    let passes = 1;
    const mergedJobs = jobsOf(mergedEntries);
    const ctx: PassContext = {
      numModels: models.length,
      numel,
      log,
      pass: async (visit) => {
        pass++;
        passes = Math.max(passes, pass + 1);
        await stream(mergedJobs, () => mergeInputs, (_j, c) => visit(c), (done) => opts.onProgress?.({ pass, passes, done, total: numel }));
      },
    };
    const kernel = await m.prepare(ctx);
    pass++;
    passes = pass;

    // the merge pass, in the reference file's order
    const outFile = opts.out.endsWith('.safetensors') ? opts.out : join(opts.out, 'model.safetensors');
    const outDtype = opts.dtype ?? 'F32';
    const specs: TensorSpec[] = entries.map((e) => ({ name: e.name, shape: e.shape, dtype: FLOAT.has(e.dtype) ? outDtype : e.dtype }));
    const meta: Record<string, string> = { ...ref.metadata, format: 'pt', merged_by: `fbw ${m.name}` };
    writer = await SafetensorsWriter.create(outFile, specs, meta);
    const w = writer;
    const outBufs = [new Float32Array(width), new Float32Array(width)];
    const writes: (Promise<void> | undefined)[] = [undefined, undefined];
    const refIndex = base ? 0 : 1;
    const changedOutOfScope = new Set<string>();
    const total = entries.reduce((a, e) => a + (FLOAT.has(e.dtype) ? e.numel : 0), 0);
    const floatJobs = jobsOf(entries.filter((e) => FLOAT.has(e.dtype)));
    const refOnly = inputs.map((_, x) => x === refIndex);
    const readWhich = (j: Job): readonly boolean[] => j.e.merged ? mergeInputs : j.e.outOfScope && j.e.inModels ? allInputs : refOnly;
    let cursor = 0;
    const writeNonFloatUpTo = async (upTo: number): Promise<void> => {
      // non-float tensors (position ids, masks) are copied verbatim from the reference, in order
      while (cursor < upTo) {
        const e = entries[cursor]!;
        if (!FLOAT.has(e.dtype)) { await Promise.all(writes); const bytes = await ref.readBytes(e.name); bytesRead += bytes.length; await w.writeBytes(e.name, bytes); }
        cursor++;
      }
    };
    await stream(floatJobs, readWhich, async (job, c, slot) => {
      await writeNonFloatUpTo(position.get(job.e.name)!);
      await writes[slot];
      const out = outBufs[slot]!.subarray(0, job.length);
      if (job.e.merged) kernel.apply(c, out);
      else {
        const r = bufs[slot]![refIndex]!.subarray(0, job.length);
        out.set(r);
        if (job.e.outOfScope && job.e.inModels) for (const mm of c.models) { for (let i = 0; i < job.length; i++) if (mm[i] !== r[i]) { changedOutOfScope.add(job.e.name); break; } }
      }
      writes[slot] = quiet(w.writePart(job.e.name, out));
      if (job.start + job.length === job.e.numel) cursor = Math.max(cursor, position.get(job.e.name)! + 1);
    }, (done) => opts.onProgress?.({ pass, passes, done, total }));
    await Promise.all(writes);
    await writeNonFloatUpTo(entries.length);
    if (changedOutOfScope.size) {
      const names = [...changedOutOfScope];
      log(`${m.name}: warning: ${names.length} tensor(s) outside ${opts.only!.join(', ')} differ from the base and were NOT merged (kept at the base value): ${summarise(names)}`);
    }
    let patched = 0;
    for (const [name, index, value] of kernel.finish?.() ?? []) { await w.patch(name, index, value); patched++; }
    if (patched) log(`${m.name}: settled ${patched} value(s) after the pass`);
    await w.close();
    writer = undefined;

    if (!opts.out.endsWith('.safetensors')) {
      const side = base?.folder ?? models[0]!.folder;
      if (side) {
        await mkdir(opts.out, { recursive: true });
        for (const f of await readdir(side)) if (SIDE_FILES.test(f)) await copyFile(join(side, f), join(opts.out, f));
      }
    }
    return { tensors: entries.length, merged: mergedEntries.length, values: numel, leftAlone, bytesRead, file: outFile };
  } finally {
    if (writer) await writer.abort();
    for (const s of opened) await s.close();
  }
}
