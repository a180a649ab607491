// `fbw merge`: merge checkpoints outside any workflow, at the state-dict level, the way mergekit
// users expect — safetensors files or model folders of any architecture in, one checkpoint out.
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { mergeFiles } from '../../ml/merge/mergeFiles.js';
import { MergeInputError, MergeInputMismatch } from '../../ml/merge/errors.js';
import { SafetensorsError } from '../../ml/io/safetensors.js';
import { didYouMean } from '../../util/suggest.js';
import type { Json } from '../../util/json.js';
import { METHODS, findMergeMethod, mergeMethodNames, resolveArgs, streamingMerge, MethodParamError, type JsonSchema, type MethodDef } from '../../registry/index.js';

const FIXED = ['base', 'models', 'out', 'output', 'only', 'quiet', 'json', 'help'];

/** merge methods `fbw merge` runs (state-dict level), in catalogue order */
const streamable = (): MethodDef[] => METHODS.filter((m) => m.merge?.kernel);
/** merge methods that need models, heads and data: workflow-only */
const workflowOnly = (): MethodDef[] => METHODS.filter((m) => m.role === 'merge' && !m.merge?.kernel);

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
    return [`  ${names}${m.merge!.needsBase ? '   [needs --base]' : ''}${m.merge!.maxModels === 2 ? '   [two models]' : ''}`, `      ${m.summary}`, `      ${m.citation}`, ...params, ...aliases].join('\n');
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
    return items.map((x) => (schema?.['items'] as JsonSchema | undefined)?.['type'] === 'string' ? x : scalar(x));
  }
  if (Array.isArray(v)) return v.map(scalar);
  return types.includes('string') || Array.isArray(schema?.['enum']) ? (v === 'null' && types.includes('null') ? null : v) : scalar(v);
}

/** Parsed command line: method, its raw params, and the file options. */
interface Parsed { method: string; params: Record<string, string | string[]>; base?: string; models: string[]; out?: string; only?: string[]; quiet: boolean; json: boolean }

class UsageError extends Error {}

function parse(args: readonly string[]): Parsed {
  const r: Parsed = { method: '', params: {}, models: [], quiet: false, json: false };
  const isFlag = (a: string | undefined): boolean => a !== undefined && (a === '-o' || (a.startsWith('--') && a.length > 2) || (a.startsWith('-') && a.length > 1 && !/^-[\d.]/.test(a)));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!isFlag(a)) {
      if (r.method) throw new UsageError(`unexpected argument '${a}' (models go after --models)`);
      r.method = a;
      continue;
    }
    let name = a === '-o' ? 'out' : a.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { inline = name.slice(eq + 1); name = name.slice(0, eq); }
    const values: string[] = inline !== undefined ? [inline] : [];
    if (inline === undefined) while (i + 1 < args.length && !isFlag(args[i + 1])) values.push(args[++i]!);
    const one = (): string => {
      if (values.length !== 1) throw new UsageError(`--${name} takes one value${values.length ? `, got ${values.length}: ${values.join(' ')}` : ''}`);
      return values[0]!;
    };
    switch (name) {
      case 'base': r.base = one(); break;
      case 'models': if (!values.length) throw new UsageError('--models needs at least one file or folder'); r.models.push(...values); break;
      case 'out': case 'output': r.out = one(); break;
      case 'only': r.only = values.flatMap((v) => v.split(',')).filter(Boolean); break;
      case 'quiet': case 'q': r.quiet = true; if (values.length) throw new UsageError(`--${name} takes no value`); break;
      case 'json': r.json = true; if (values.length) throw new UsageError(`--${name} takes no value`); break;
      default: r.params[name] = values.length > 1 ? values : values.length === 1 ? values[0]! : 'true';
    }
  }
  return r;
}

/** `fbw merge METHOD ...`: a standalone, streaming, state-dict level merge. */
export const merge: Command = {
  name: 'merge',
  summary: 'merge checkpoints (safetensors files or model folders) with a merging method',
  get help() {
    return `Usage: fbw merge METHOD [--PARAM VALUE ...] [--base PRETRAINED] --models A B ... -o OUT

Merges checkpoints tensor by tensor (state-dict level, any architecture), streaming: memory
stays near a few chunks per input whatever the model size. Inputs are .safetensors files or
model folders (model.safetensors, or sharded model.safetensors.index.json). OUT ending in
.safetensors is written as one file; otherwise OUT is a folder that receives model.safetensors
plus the base's config/tokenizer files. Parameter names and defaults follow FusionBench.

Options:
  --base PATH         the pretrained model the task vectors are relative to
  --models PATH...    the models to merge, in order (weights follow this order)
  -o, --out PATH      output file (.safetensors) or folder
  --only P1,P2        merge only tensors whose names start with these prefixes; copy the rest
                      from the base (e.g. --only vision_model. for a CLIP vision tower, as FusionBench)
  --PARAM VALUE       a method parameter (lists: comma-separated or several values)
  --quiet             no progress or log lines
  --json              print the result as one JSON object

Methods:
${methodHelp()}

Mismatched tensor names or shapes are an error naming the tensor and file.

Examples:
  fbw merge task_arithmetic --scaling_factor 0.3 --base clip/ --models ft_cars/ ft_dtd/ -o merged/
  fbw merge ties --threshold 20 --base base.safetensors --models a.safetensors b.safetensors -o m.safetensors
  fbw merge weighted_average --weights 0.7,0.3 --models a.safetensors b.safetensors -o avg.safetensors

Exit codes: 0 merged, 1 the inputs cannot be merged (missing/corrupt file, mismatch), 2 usage error.
`;
  },
  async run(args, io) {
    let p: Parsed;
    try { p = parse(args); } catch (e) {
      if (e instanceof UsageError) { io.stderr.write(`fbw merge: ${e.message}\nRun 'fbw merge --help' for usage.\n`); return 2; }
      throw e;
    }
    if (!p.method) { io.stderr.write(`fbw merge: missing METHOD (one of ${streamable().map((m) => m.name).join(', ')})\nRun 'fbw merge --help' for usage.\n`); return 2; }
    const found = findMergeMethod(p.method);
    if (!found) {
      const hint = didYouMean(p.method, mergeMethodNames());
      io.stderr.write(`fbw merge: unknown merge method '${p.method}'${hint ? ` — did you mean '${hint}'?` : ''} (known: ${streamable().map((m) => m.name).join(', ')})\n`);
      return 2;
    }
    const { def, preset } = found;
    if (!def.merge?.kernel) {
      io.stderr.write(`fbw merge: ${def.name} needs each task's head and data (it is not a state-dict merge); use it in a workflow, e.g. \`finetune clip on [a, b] full then ${def.name} -> eval ...\`\n`);
      return 2;
    }
    const props = def.schema.properties;
    for (const k of Object.keys(p.params)) {
      if (!(k in props) && !def.paramAliases?.[k]) {
        const hint = didYouMean(k, [...Object.keys(props), ...FIXED]);
        io.stderr.write(`fbw merge: unknown option '--${k}' for ${def.name}${hint ? ` — did you mean '--${hint}'?` : ''} (its parameters: ${Object.keys(props).join(', ') || 'none'})\n`);
        return 2;
      }
    }
    let resolved;
    try {
      resolved = resolveArgs(def, Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, fromCli(props[k] ?? def.paramAliases?.[k]?.schema, v)])), preset);
    } catch (e) {
      if (e instanceof MethodParamError) { io.stderr.write(`fbw merge: ${e.message}\n`); return 2; }
      throw e;
    }
    const method = streamingMerge(def, resolved)!;
    if (!p.models.length) { io.stderr.write('fbw merge: no models given: use --models A B ...\n'); return 2; }
    if (!p.out) { io.stderr.write('fbw merge: no output given: use -o OUT (a .safetensors file or a folder)\n'); return 2; }
    const log = (line: string): void => { if (!p.quiet) io.stderr.write(line + '\n'); };
    let lastPct = -1;
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && !p.quiet;
    const t0 = Date.now();
    try {
      const r = await mergeFiles(method, {
        ...(p.base ? { base: resolve(io.cwd, p.base) } : {}),
        models: p.models.map((m) => resolve(io.cwd, m)),
        out: resolve(io.cwd, p.out),
        ...(p.only ? { only: p.only } : {}),
        log,
        onProgress: ({ pass, passes, done, total }) => {
          if (!tty) return;
          const pct = Math.floor((100 * done) / Math.max(total, 1));
          if (pct === lastPct) return;
          lastPct = pct;
          io.stderr.write(`\r${method.name}: pass ${pass}/${passes} ${String(pct).padStart(3)}%`);
          if (done === total) { io.stderr.write('\n'); lastPct = -1; }
        },
      });
      const seconds = (Date.now() - t0) / 1000;
      if (p.json) io.stdout.write(JSON.stringify({ method: method.name, out: resolve(io.cwd, p.out), tensors: r.tensors, bytesRead: r.bytesRead, seconds }) + '\n');
      else io.stdout.write(`merged ${p.models.length} model(s) with ${method.name}: ${r.tensors} tensors, ${(r.bytesRead / 1e9).toFixed(3)} GB read in ${seconds.toFixed(1)} s → ${p.out}\n`);
      return 0;
    } catch (e) {
      if (e instanceof MergeInputError || e instanceof MergeInputMismatch || e instanceof SafetensorsError) { io.stderr.write(`fbw merge: ${e.message}\n`); return 1; }
      throw e;
    }
  },
};
