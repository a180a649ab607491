// `fbw merge`: merge checkpoints outside any workflow, at the state-dict level, the way mergekit
// users expect — safetensors files or model folders of any architecture in, one checkpoint out.
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { mergeMethods, findMergeMethod } from '../../ml/merge/registry.js';
import { mergeFiles } from '../../ml/merge/mergeFiles.js';
import { findModelMergeMethod } from '../../ml/merge/modelRegistry.js';
import { MergeParamError, UnknownMergeMethod, MergeInputError, MergeInputMismatch } from '../../ml/merge/errors.js';
import { SafetensorsError } from '../../ml/io/safetensors.js';
import { didYouMean } from '../../util/suggest.js';
import type { ParamSpec } from '../../ml/merge/method.js';

const FIXED = ['base', 'models', 'out', 'output', 'only', 'quiet', 'json', 'help'];

function fmtDefault(p: ParamSpec): string {
  if (p.default === undefined) return 'required';
  return `default ${Array.isArray(p.default) ? `[${p.default.join(', ')}]` : String(p.default)}`;
}

function methodHelp(): string {
  return mergeMethods.map((m) => {
    const names = [m.name, ...(m.aliases ?? [])].join(' | ');
    const params = m.params.map((p) => `      --${p.name} ${p.type === 'boolean' ? 'true|false' : p.type.endsWith('[]') ? 'A,B,...' : p.choices ? p.choices.join('|') : p.type.toUpperCase()}  ${p.doc} (${fmtDefault(p)})`);
    return [`  ${names}${m.needsBase ? '   [needs --base]' : ''}`, `      ${m.summary}`, `      ${m.citation}`, ...params].join('\n');
  }).join('\n');
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
    if (!p.method) { io.stderr.write(`fbw merge: missing METHOD (one of ${mergeMethods.map((m) => m.name).join(', ')})\nRun 'fbw merge --help' for usage.\n`); return 2; }
    const dataMethod = findModelMergeMethod(p.method);
    if (dataMethod) {
      io.stderr.write(`fbw merge: ${dataMethod.name} needs each task's head and data (it is not a state-dict merge); use it in a workflow, e.g. \`finetune clip on [a, b] full then ${dataMethod.name} -> eval ...\`\n`);
      return 2;
    }
    let method;
    try { method = findMergeMethod(p.method); } catch (e) {
      if (e instanceof UnknownMergeMethod) { io.stderr.write(`fbw merge: ${e.message}\n`); return 2; }
      throw e;
    }
    for (const k of Object.keys(p.params)) {
      if (!method.params.some((s) => s.name === k)) {
        const hint = didYouMean(k, [...method.params.map((s) => s.name), ...FIXED]);
        io.stderr.write(`fbw merge: unknown option '--${k}' for ${method.name}${hint ? ` — did you mean '--${hint}'?` : ''} (its parameters: ${method.params.map((s) => s.name).join(', ') || 'none'})\n`);
        return 2;
      }
    }
    if (!p.models.length) { io.stderr.write('fbw merge: no models given: use --models A B ...\n'); return 2; }
    if (!p.out) { io.stderr.write('fbw merge: no output given: use -o OUT (a .safetensors file or a folder)\n'); return 2; }
    const log = (line: string): void => { if (!p.quiet) io.stderr.write(line + '\n'); };
    let lastPct = -1;
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && !p.quiet;
    const t0 = Date.now();
    try {
      const r = await mergeFiles(method.name, p.params, {
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
      if (e instanceof MergeParamError) { io.stderr.write(`fbw merge: ${e.message}\n`); return 2; }
      if (e instanceof MergeInputError || e instanceof MergeInputMismatch || e instanceof SafetensorsError) { io.stderr.write(`fbw merge: ${e.message}\n`); return 1; }
      throw e;
    }
  },
};
