// `fbw merge`: merge checkpoints outside any workflow, at the state-dict level, the way mergekit
// users expect — safetensors files or model folders of any architecture in, one checkpoint out,
// or a mergekit-shaped YAML config. Methods, parameters, aliases and defaults come from the
// catalogue (src/registry/methods), so a value the language rejects is rejected here too.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Command, CommandIO } from '../command.js';
import { mergeFiles } from '../../ml/merge/mergeFiles.js';
import { StateDictSource } from '../../ml/merge/StateDictSource.js';
import type { Json } from '../../util/json.js';
import { didYouMean } from '../../util/suggest.js';
import { METHODS, findMergeMethod, mergeMethodNames, resolveArgs, streamingMerge, type JsonSchema, type MethodDef } from '../../registry/index.js';

const FIXED = ['base', 'models', 'out', 'output', 'only', 'dtype', 'force', 'quiet', 'json', 'help'];

/** --dtype spellings → the stored safetensors dtype */
const DTYPES = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' } as const;
type DtypeName = keyof typeof DTYPES;

/** mergekit words that are not fbw parameters: the hint that points to fbw's name */
const MERGEKIT_HINTS: { readonly [word: string]: string } = {
  density: "mergekit's density (the fraction kept) is fbw's ties threshold in percent: --density 0.2 = --threshold 20 (ties and dare(on=ties) also take --density); for dare alone use --sparsity_ratio = 1 − density",
  weight: 'per-model weights: weighted_average (alias linear) --weights A,B,... in model order',
  base_model: 'the pretrained model is --base PATH',
  merge_method: 'the method is the first argument, e.g. fbw merge ties ...',
};

/** merge methods `fbw merge` runs (state-dict level), in catalogue order */
const streamable = (): MethodDef[] => METHODS.filter((m) => m.merge?.kernel);
/** merge methods that need models, heads and data: workflow-only */
const workflowOnly = (): MethodDef[] => METHODS.filter((m) => m.role === 'merge' && !m.merge?.kernel);

/** A user mistake: one line, and the exit code (2 usage, 1 inputs that cannot be merged). */
class MergeUsage extends Error {
  constructor(message: string, readonly code: 1 | 2 = 2) { super(message); this.name = 'MergeUsage'; }
}

function schemaType(s: JsonSchema): string {
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).join('|');
  const t = ([] as unknown[]).concat(s['type'] ?? []).filter((x) => x !== 'null');
  if (t.includes('array')) return 'A,B,...';
  if (t.includes('boolean')) return 'true|false';
  return String(t[0] ?? 'value').toUpperCase();
}

function methodHelp(): string {
  return streamable().map((m) => {
    const names = [m.name, ...(m.aliases ?? []), ...Object.keys(m.variants ?? {})].join(' | ');
    const params = Object.entries(m.schema.properties).map(([k, p]) => `      --${k} ${schemaType(p)}  ${p['description'] ? `${String(p['description'])} ` : ''}(default ${JSON.stringify(p['default'])})`);
    const aliases = Object.entries(m.paramAliases ?? {}).map(([k, a]) => `      --${k}: ${a.doc}`);
    const tags = `${m.merge!.needsBase ? '   [needs --base]' : ''}${m.merge!.maxModels === 2 ? '   [two models]' : ''}`;
    return [`  ${names}${tags}`, `      ${m.summary}`, `      ${m.citation}`, ...params, ...aliases].join('\n');
  }).join('\n');
}

/** A command-line string → the JSON value its parameter's schema expects (lists: comma-separated or repeated). */
function fromCli(schema: JsonSchema | undefined, v: string | string[]): Json {
  const types = ([] as unknown[]).concat(schema?.['type'] ?? []);
  const scalar = (x: string): Json => {
    const t = x.trim();
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (t !== '' && Number.isFinite(Number(t))) return Number(t);
    return t;
  };
  if (types.includes('array')) {
    const items = (Array.isArray(v) ? v : [v]).flatMap((x) => x.replace(/^\[|\]$/g, '').split(',')).map((x) => x.trim()).filter((x) => x !== '');
    return items.map((x) => ((schema?.['items'] as JsonSchema | undefined)?.['type'] === 'string' ? x : scalar(x)));
  }
  if (Array.isArray(v)) return v.map(scalar);
  if (types.includes('string') || Array.isArray(schema?.['enum'])) return v === 'null' && types.includes('null') ? null : v;
  return scalar(v);
}

/** What to merge, from the command line or a YAML config. */
interface Request {
  method: string;
  /** values by name (flags are strings until their schema says otherwise; YAML values are typed) */
  params: Record<string, Json | string[]>;
  fromCli: boolean;
  base?: string;
  models: string[];
  out?: string;
  only?: string[];
  dtype?: DtypeName;
  force: boolean;
  quiet: boolean;
  json: boolean;
  /** the YAML file, for messages */
  config?: string;
}

function parseArgs(args: readonly string[]): Request {
  const r: Request = { method: '', params: {}, fromCli: true, models: [], force: false, quiet: false, json: false };
  const positional: string[] = [];
  const isFlag = (a: string | undefined): boolean => a !== undefined && (a === '-o' || a === '-q' || a === '-f' || (a.startsWith('--') && a.length > 2) || (a.startsWith('-') && a.length > 1 && !/^-[\d.]/.test(a)));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!isFlag(a)) { positional.push(a); continue; }
    let name = a === '-o' ? 'out' : a === '-q' ? 'quiet' : a === '-f' ? 'force' : a.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { inline = name.slice(eq + 1); name = name.slice(0, eq); }
    const values: string[] = inline !== undefined ? [inline] : [];
    if (inline === undefined) while (i + 1 < args.length && !isFlag(args[i + 1])) values.push(args[++i]!);
    const one = (): string => {
      if (values.length !== 1) throw new MergeUsage(`--${name} takes one value${values.length ? `, got ${values.length}: ${values.join(' ')}` : ''}`);
      return values[0]!;
    };
    const none = (): true => { if (values.length) throw new MergeUsage(`--${name} takes no value (got ${values.join(' ')}; models go after --models)`); return true; };
    switch (name) {
      case 'base': r.base = one(); break;
      case 'models': if (!values.length) throw new MergeUsage('--models needs at least one file or folder'); r.models.push(...values); break;
      case 'out': case 'output': r.out = one(); break;
      case 'only': r.only = values.flatMap((v) => v.split(',')).filter(Boolean); if (!r.only.length) throw new MergeUsage('--only needs a tensor name prefix, e.g. --only vision_model.'); break;
      case 'dtype': r.dtype = dtypeName(one()); break;
      case 'force': r.force = none(); break;
      case 'quiet': r.quiet = none(); break;
      case 'json': r.json = none(); break;
      default: r.params[name] = values.length > 1 ? values : values.length === 1 ? values[0]! : 'true';
    }
  }
  const [first, second, ...rest] = positional;
  if (first && /\.ya?ml$/i.test(first)) {
    r.config = first;
    if (second) { if (r.out) throw new MergeUsage(`give the output once: '${second}' or -o ${r.out}`); r.out = second; }
    if (rest.length) throw new MergeUsage(`unexpected argument '${rest[0]}' (usage: fbw merge CONFIG.yml OUT)`);
  } else {
    r.method = first ?? '';
    if (second !== undefined) throw new MergeUsage(`unexpected argument '${second}' (models go after --models; a YAML config ends in .yml)`);
  }
  return r;
}

function dtypeName(v: unknown): DtypeName {
  const s = String(v).replace(/^torch\./, '');
  const alias: Record<string, DtypeName> = { float32: 'float32', fp32: 'float32', float16: 'float16', fp16: 'float16', half: 'float16', bfloat16: 'bfloat16', bf16: 'bfloat16' };
  const d = alias[s];
  if (!d) throw new MergeUsage(`unknown dtype '${String(v)}' (one of float32, float16, bfloat16)`);
  return d;
}

/** The fields of a mergekit config fbw reads; anything else is named as unsupported. */
const CONFIG_KEYS = new Set(['merge_method', 'base_model', 'models', 'parameters', 'dtype', 'out_dtype']);

/** A mergekit-shaped YAML config → a request (per-model parameters folded into fbw's). */
function fromConfig(r: Request, cwd: string): void {
  const path = resolve(cwd, r.config!);
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { throw new MergeUsage(`${r.config}: no such config file`, 1); }
  let doc: unknown;
  try { doc = parseYaml(text); } catch (e) { throw new MergeUsage(`${r.config}: not valid YAML: ${((e as Error).message.split('\n')[0] ?? '').trim()}`, 1); }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new MergeUsage(`${r.config}: expected a mapping with merge_method, models, ... (mergekit's config shape)`, 1);
  const c = doc as Record<string, unknown>;
  const where = (k: string): string => `${r.config}: ${k}`;
  for (const k of Object.keys(c)) if (!CONFIG_KEYS.has(k)) throw new MergeUsage(`${where(k)}: not supported by fbw merge (it reads ${[...CONFIG_KEYS].join(', ')}; slices and tokenizer settings are mergekit-only)`, 2);
  if (typeof c['merge_method'] !== 'string') throw new MergeUsage(`${where('merge_method')}: missing (e.g. merge_method: ties)`, 2);
  if (Object.keys(r.params).length || r.models.length || r.base) throw new MergeUsage('with a YAML config, give methods, models and parameters in the file (flags allowed: --dtype, --only, --force, --quiet, --json)', 2);
  r.method = c['merge_method'];
  r.fromCli = false;
  const found = findMergeMethod(r.method);
  const models = c['models'];
  if (!Array.isArray(models) || !models.length) throw new MergeUsage(`${where('models')}: give a list of {model: PATH, parameters: {...}}`, 2);
  const perModel: Record<string, Json>[] = [];
  for (const [i, m] of models.entries()) {
    const e = typeof m === 'string' ? { model: m } : m as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e['model'] !== 'string') throw new MergeUsage(`${where(`models[${i}]`)}: expected {model: PATH}`, 2);
    r.models.push(e['model'] as string);
    perModel.push((e['parameters'] ?? {}) as Record<string, Json>);
  }
  const params: Record<string, Json> = { ...((c['parameters'] ?? {}) as Record<string, Json>) };
  const base = c['base_model'];
  if (base !== undefined && typeof base !== 'string') throw new MergeUsage(`${where('base_model')}: expected a path`, 2);
  if (found?.def.merge?.needsBase === false && base) {
    // slerp: mergekit's base_model is the t = 0 end; averages do not read a base
    if (found.def.merge.maxModels === 2) {
      const k = r.models.indexOf(base);
      if (k < 0) throw new MergeUsage(`${where('base_model')}: for slerp it must be one of the models (the t = 0 end)`, 2);
      r.models.unshift(...r.models.splice(k, 1));
      perModel.unshift(...perModel.splice(k, 1));
    }
  } else if (base) {
    r.base = base;
    // mergekit lists the base among the models with no parameters: it is not a task model
    const k = r.models.indexOf(base);
    if (k >= 0) { r.models.splice(k, 1); perModel.splice(k, 1); }
  }
  // per-model parameters: weights become the method's weights list; others must agree across models
  const keys = new Set(perModel.flatMap((p) => Object.keys(p)));
  for (const k of keys) {
    const vals = perModel.map((p) => p[k]);
    if (k === 'weight') {
      if (vals.some((v) => typeof v !== 'number')) throw new MergeUsage(`${where('models')}: give every model a numeric weight, or none`, 2);
      if (found?.def.schema.properties['weights']) { params['weights'] = vals as number[]; continue; }
      if (vals.every((v) => v === 1)) continue;
      throw new MergeUsage(`${where('models')}: per-model weight is not a parameter of ${found?.def.name ?? r.method} (use merge_method: linear for weights; ties and task_arithmetic scale all task vectors by scaling_factor)`, 2);
    }
    if (vals.some((v) => v === undefined || JSON.stringify(v) !== JSON.stringify(vals[0]))) throw new MergeUsage(`${where('models')}: per-model '${k}' differs between models; fbw uses one value for all models (put it under parameters)`, 2);
    if (params[k] !== undefined && JSON.stringify(params[k]) !== JSON.stringify(vals[0])) throw new MergeUsage(`${where('parameters')}: '${k}' is given globally and per model with different values`, 2);
    params[k] = vals[0]!;
  }
  r.params = params;
  const dt = c['dtype'] ?? c['out_dtype'];
  if (dt !== undefined && !r.dtype) r.dtype = dtypeName(dt);
}

/** Where the output goes: a .safetensors file, or a folder; never a silently created parent. */
function outputTarget(out: string, cwd: string, force: boolean, inputs: readonly string[]): { path: string; folder: boolean } {
  const path = resolve(cwd, out);
  const ext = extname(path).toLowerCase();
  if (['.bin', '.pt', '.pth', '.ckpt', '.pkl'].includes(ext)) {
    throw new MergeUsage(`-o ${out}: fbw merge writes safetensors, not PyTorch's ${ext} pickle format; name the file ${out.slice(0, -ext.length)}.safetensors, or give a folder`);
  }
  const folder = ext !== '.safetensors';
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new MergeUsage(`-o ${out}: the folder ${parent} does not exist; create it first (fbw merge never creates parent folders)`, 1);
  const file = folder ? resolve(path, 'model.safetensors') : path;
  if (folder && existsSync(path) && !statSync(path).isDirectory()) throw new MergeUsage(`-o ${out}: exists and is a file; a folder output needs a folder name (or end the name in .safetensors)`);
  const inPlace = inputs.some((i) => resolve(cwd, i) === path || resolve(cwd, i) === file);
  if (existsSync(file) && !force) throw new MergeUsage(`-o ${out}: ${folder ? `${file} ` : ''}already exists; add --force to overwrite it${inPlace ? ' (it is also an input: the merge reads it fully before replacing it)' : ''}`, 1);
  return { path, folder };
}

/** The one-line summary (stdout), in the units a user checks. */
function summary(method: string, n: number, r: { tensors: number; merged: number; leftAlone: readonly string[]; bytesRead: number; file: string }, dtype: DtypeName, seconds: number, out: string): string {
  const left = r.leftAlone.length ? `, ${r.leftAlone.length} left at the base value` : '';
  return `merged ${n} model(s) with ${method}: ${r.merged} of ${r.tensors} tensors merged${left}, ${dtype}, ${(r.bytesRead / 1e9).toFixed(3)} GB read in ${seconds.toFixed(1)} s → ${out}`;
}

async function run(args: readonly string[], io: CommandIO): Promise<number> {
  const p = parseArgs(args);
  if (p.config) fromConfig(p, io.cwd);
  if (!p.method) throw new MergeUsage(`missing METHOD (one of ${streamable().map((m) => m.name).join(', ')}) or a CONFIG.yml`);
  const found = findMergeMethod(p.method);
  if (!found) {
    const hint = didYouMean(p.method, mergeMethodNames());
    throw new MergeUsage(`unknown merge method '${p.method}'${hint ? ` — did you mean '${hint}'?` : ''} (known: ${streamable().map((m) => m.name).join(', ')})`);
  }
  const { def, preset } = found;
  const impl = def.merge!;
  if (!impl.kernel) throw new MergeUsage(`${def.name} needs each task's head and data (it is not a state-dict merge); use it in a workflow, e.g. \`finetune clip on [a, b] full then ${def.name} -> eval ...\``);
  const props = def.schema.properties;
  const raw: Record<string, Json> = {};
  for (const [k, v] of Object.entries(p.params)) {
    const alias = def.paramAliases?.[k];
    if (!(k in props) && !alias) {
      const flag = p.fromCli ? `option '--${k}'` : `parameter '${k}'`;
      const hint = MERGEKIT_HINTS[k] ?? (() => { const s = didYouMean(k, [...Object.keys(props), ...Object.keys(def.paramAliases ?? {}), ...(p.fromCli ? FIXED : [])]); return s ? `did you mean '${p.fromCli ? '--' : ''}${s}'?` : undefined; })();
      throw new MergeUsage(`unknown ${flag} for ${def.name}${hint ? ` — ${hint}` : ''} (its parameters: ${Object.keys(props).join(', ') || 'none'})`);
    }
    raw[k] = p.fromCli ? fromCli(props[k] ?? alias?.schema, v as string | string[]) : (v as Json);
  }
  const resolved = resolveArgs(def, raw, preset);
  const log = (line: string): void => { if (!p.quiet) io.stderr.write(line + '\n'); };
  for (const [k, a] of Object.entries(def.paramAliases ?? {})) if (k in raw) log(`note: ${k} ${JSON.stringify(raw[k])} is ${a.to} ${JSON.stringify(resolved[a.to as keyof typeof resolved])}, fbw's name for it`);
  if (!p.models.length) throw new MergeUsage('no models given: use --models A B ...');
  if (p.models.length < impl.minModels) throw new MergeUsage(`${def.name} needs at least ${impl.minModels} models, got ${p.models.length} (a merge of one model is that model)`);
  if (impl.maxModels !== undefined && p.models.length > impl.maxModels) throw new MergeUsage(`${def.name} merges exactly ${impl.maxModels} models, got ${p.models.length}`);
  if (impl.needsBase && !p.base) throw new MergeUsage(`${def.name} needs the pretrained model its task vectors are relative to; give it with --base`, 1);
  if (!p.out) throw new MergeUsage(`no output given: use -o OUT (a .safetensors file or a folder)${p.config ? `, or fbw merge ${p.config} OUT` : ''}`);
  const inputs = [...(p.base ? [p.base] : []), ...p.models];
  const target = outputTarget(p.out, io.cwd, p.force, inputs);
  const dtype = p.dtype ?? 'float32';
  const method = streamingMerge(def, resolved)!;
  if (!p.only) await noteWholeModel(resolve(io.cwd, p.base ?? p.models[0]!), log);
  let lastPct = -1;
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && !p.quiet;
  const t0 = Date.now();
  const existed = existsSync(target.path);
  try {
    const r = await mergeFiles(method, {
      ...(p.base ? { base: resolve(io.cwd, p.base) } : {}),
      models: p.models.map((m) => resolve(io.cwd, m)),
      out: target.path,
      ...(p.only ? { only: p.only } : {}),
      dtype: DTYPES[dtype],
      log,
      onProgress: ({ pass, passes, done, total }) => {
        if (!tty) return;
        const pct = Math.floor((100 * done) / Math.max(total, 1));
        if (pct === lastPct) return;
        lastPct = pct;
        io.stderr.write(`\r${def.name}: pass ${pass}/${passes} ${String(pct).padStart(3)}%`);
        if (done === total) { io.stderr.write('\n'); lastPct = -1; }
      },
    });
    const seconds = (Date.now() - t0) / 1000;
    if (p.json) io.stdout.write(JSON.stringify({ method: def.name, params: resolved, out: target.path, file: r.file, dtype, tensors: r.tensors, merged: r.merged, leftAlone: r.leftAlone, bytesRead: r.bytesRead, seconds }) + '\n');
    else if (!p.quiet) io.stdout.write(summary(def.name, p.models.length, r, dtype, seconds, p.out) + '\n');
    return 0;
  } catch (e) {
    // a failed merge leaves nothing behind: not even the output folder it would have made
    if (target.folder && !existed) await rm(target.path, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

/** A CLIP checkpoint merged whole: say that a workflow merges its vision tower only. */
async function noteWholeModel(path: string, log: (l: string) => void): Promise<void> {
  let src: StateDictSource | undefined;
  try {
    src = await StateDictSource.open(path);
    const names = src.tensors().map((t) => t.name);
    if (names.some((n) => n.startsWith('vision_model.')) && names.some((n) => n.startsWith('text_model.'))) {
      log('note: merging every tensor, the text tower too; a workflow merges a CLIP model\'s vision tower only (as FusionBench) — add --only vision_model. to get the same file');
    }
  } catch { /* the merge itself reports unreadable inputs */ } finally { await src?.close(); }
}

/** `fbw merge METHOD ...` or `fbw merge CONFIG.yml OUT`: a standalone, streaming, state-dict level merge. */
export const merge: Command = {
  name: 'merge',
  summary: 'merge checkpoints (safetensors files or model folders) with a merging method',
  get help() {
    return `Usage: fbw merge METHOD [--PARAM VALUE ...] [--base PRETRAINED] --models A B ... -o OUT
       fbw merge CONFIG.yml OUT        (a mergekit-shaped config)

Merges checkpoints tensor by tensor (state-dict level, any architecture), streaming: memory
stays near a few chunks per input whatever the model size. Inputs are .safetensors files or
model folders (model.safetensors, or sharded model.safetensors.index.json). OUT ending in
.safetensors is written as one file; any other name is a folder that receives model.safetensors
plus the config/tokenizer files of the base (or of the first model). The folder that holds OUT
must exist; an existing output is replaced only with --force. Parameter names, aliases and
defaults are the workflow language's (FusionBench's names), checked the same way.

A workflow merges a CLIP model's vision tower only (as FusionBench merges CLIPVisionModel);
fbw merge merges every tensor unless told --only vision_model. — add it to reproduce a
workflow's merge by hand. Vision-only fine-tunes (only vision_model.* tensors) merged with a
full CLIP --base: the tensors they share are merged, the rest is kept from the base and named.

Options:
  --base PATH         the pretrained model the task vectors are relative to
  --models PATH...    the models to merge, in order (weights follow this order)
  -o, --out PATH      output file (.safetensors) or folder
  --only P1,P2        merge only tensors whose names start with these prefixes; copy the rest
                      from the base (inputs need not have them)
  --dtype D           stored dtype of the output's float tensors: float32 (default), float16,
                      bfloat16 (merging itself is float32)
  --force, -f         replace an existing output
  --PARAM VALUE       a method parameter (lists: comma-separated or several values)
  --quiet, -q         print nothing on success (errors still go to stderr)
  --json              print the result as one JSON object instead of the summary line

Methods:
${methodHelp()}

Workflow-only methods (need each task's head and data): ${workflowOnly().map((m) => m.name).join(', ')}

YAML config (mergekit's shape; paths relative to the working folder):
  merge_method: ties                 # any method above, or its mergekit name (linear, slerp, ...)
  base_model: models/clip            # the pretrained model (slerp: the t = 0 model)
  models:
    - model: ft/mnist
      parameters: {weight: 1.0}      # linear: per-model weights; others: one value for all
    - model: ft/svhn
  parameters: {density: 0.2, scaling_factor: 0.5}
  dtype: float16

Mismatched tensor names or shapes are an error naming the tensor and file.

Examples:
  fbw merge task_arithmetic --scaling_factor 0.3 --base clip/ --models ft_cars/ ft_dtd/ -o merged/
  fbw merge ties --threshold 20 --base base.safetensors --models a.safetensors b.safetensors -o m.safetensors
  fbw merge linear --weights 0.7,0.3 --models a.safetensors b.safetensors -o avg.safetensors --dtype bfloat16
  fbw merge slerp --t 0.4 --models a.safetensors b.safetensors -o s.safetensors
  fbw merge average --only vision_model. --base clip/ --models ft_cars/ ft_dtd/ -o merged/
  fbw merge config.yml merged/

Exit codes: 0 merged, 1 the inputs cannot be merged or the output cannot be written (missing/corrupt
file, mismatch, missing output folder, existing output), 2 usage error.
`;
  },
  async run(args, io) {
    try {
      return await run(args, io);
    } catch (e) {
      // every failure is one line and an exit code, never a stack trace
      const err = e as Error & { code?: unknown };
      const code = e instanceof MergeUsage ? e.code : err.name === 'MethodParamError' ? 2 : 1;
      const msg = typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code) && !(e instanceof MergeUsage) ? `${err.code}: ${err.message.replace(/^E[A-Z]+: /, '')}` : err.message;
      io.stderr.write(`fbw merge: ${(msg ?? String(e)).split('\n')[0]}\n`);
      return code;
    }
  },
};
