// Backend choice in one place: every entry point (CLI, worker, test, bench) calls initBackend
// so the same model code runs on the fastest backend this machine has, and `fbw doctor` can say
// why the others were skipped. Order: tfjs-node-gpu (gpu:N) / tfjs-node (cpu), the in-repo native
// backend, wasm (SIMD), pure-JS cpu last.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

/** One backend we considered, and why it was or was not taken. */
export interface BackendProbe {
  readonly name: string;
  readonly available: boolean;
  readonly reason: string;
}

/** What initBackend chose; stored with runs so results say which backend made them. */
export interface BackendInfo {
  readonly backend: string;
  readonly device: string;
  readonly probes: readonly BackendProbe[];
}

/** The requested device cannot be served (e.g. gpu:0 without tfjs-node-gpu). */
export class DeviceUnavailable extends Error {
  constructor(readonly device: string, readonly reason: string) {
    super(`device '${device}' is unavailable: ${reason}. Run on CPU workers (--devices cpu:N), or install @tensorflow/tfjs-node-gpu with CUDA; fbw doctor shows what this machine has.`);
    this.name = 'DeviceUnavailable';
  }
}

let current: BackendInfo | undefined;

/**
 * Node module-resolution hook (module.register) for tfjs-core's ESM build: its dist/ files import
 * siblings without the `.js` extension (written for bundlers). Only relative imports from inside
 * @tensorflow packages are retried with `.js` and `/index.js`.
 */
const resolveHookSource = `async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (e) {
    const parent = context.parentURL || '';
    if (!specifier.startsWith('.') || !parent.includes('/@tensorflow/')) throw e;
    for (const suffix of ['.js', '/index.js']) {
      try { return { ...(await next(specifier + suffix, context)), shortCircuit: true }; } catch {}
    }
    throw e;
  }
}`;
let gradients: Promise<void> | undefined;

/**
 * Register tfjs's gradient functions (tfjs-core's CommonJS bundle, which Node loads, has none):
 * load its ESM `register_all_gradients` through a resolve hook that adds the missing extensions.
 * The gradient registry is process-global, so the CommonJS engine sees them.
 */
export function registerGradients(): Promise<void> {
  gradients ??= (async () => {
    if (tf.getGradient('Add')) return;
    // the hook's source is passed inline (a data: URL) so it never depends on a file being present
    register(`data:text/javascript,${encodeURIComponent(`export ${resolveHookSource}`)}`);
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    if (!tf.getGradient('Add')) throw new Error('tfjs gradients did not register (tfjs-core ESM build not found?)');
  })();
  return gradients;
}
const here = dirname(fileURLToPath(import.meta.url));

async function tryImport(name: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await import(name);
    return { ok: true };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    return { ok: false, reason: /Cannot find (package|module)/.test(msg) ? `${name} is not installed (optional dependency; its install downloads libtensorflow)` : `${name} failed to load: ${msg}` };
  }
}

/** Folder holding the wasm binaries of @tensorflow/tfjs-backend-wasm (with trailing slash). */
export function wasmDir(): string {
  const req = createRequire(import.meta.url);
  const main = req.resolve('@tensorflow/tfjs-backend-wasm');
  // main is .../tfjs-backend-wasm/dist/tf-backend-wasm.node.js (or similar) inside dist/
  let d = dirname(main);
  while (!existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')) && d !== dirname(d)) d = dirname(d);
  if (!existsSync(join(d, 'tfjs-backend-wasm-simd.wasm'))) d = join(dirname(main), '..', 'dist');
  return d.endsWith('/') ? d : d + '/';
}

/** What the native addon said about itself when it registered (for `fbw doctor`). */
export interface NativeKernelInfo {
  readonly blas: string;
  readonly threads: number;
  readonly simd: string;
  readonly gemm: string;
  readonly lapack: boolean;
}
let nativeInfo: NativeKernelInfo | undefined;

async function tryNative(): Promise<{ ok: true; name: string } | { ok: false; reason: string }> {
  const file = join(here, 'native', 'registerNativeBackend.js');
  const index = join(here, 'native', 'index.js');
  const path = existsSync(file) ? file : existsSync(index) ? index : undefined;
  if (!path) return { ok: false, reason: 'native backend not built (src/ml/backend/native/ absent)' };
  try {
    const mod = (await import(path)) as { registerNativeBackend?: () => Promise<{ ok: true; name: string; info?: NativeKernelInfo } | { ok: false; reason: string }> };
    if (typeof mod.registerNativeBackend !== 'function') return { ok: false, reason: `${path} does not export registerNativeBackend` };
    const r = await mod.registerNativeBackend();
    if (r.ok && r.info) nativeInfo = r.info;
    return r;
  } catch (e) {
    return { ok: false, reason: `native backend failed to load: ${(e as Error).message}` };
  }
}

async function tryWasm(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `wasm backend failed to load: ${(e as Error).message}` };
  }
}

/**
 * Select and initialise the backend for `device` ('cpu', 'gpu:0', ...). Idempotent per process.
 * FBW_BACKEND=wasm|cpu|native|tensorflow forces one (for tests and benchmarks).
 */
export async function initBackend(device = 'cpu', opts: { readonly prefer?: string } = {}): Promise<BackendInfo> {
  if (current) return current;
  await registerGradients();
  const prefer = opts.prefer ?? process.env['FBW_BACKEND'];
  const probes: BackendProbe[] = [];
  const take = async (name: string): Promise<boolean> => {
    try {
      const ok = await tf.setBackend(name);
      if (ok) await tf.ready();
      return ok;
    } catch { return false; }
  };
  const gpu = /^gpu(:\d+)?$/.test(device);
  if (gpu || !prefer || prefer === 'tensorflow') {
    const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    const r = await tryImport(pkg);
    probes.push({ name: 'tensorflow', available: r.ok, reason: r.ok ? `${pkg} loaded` : r.reason });
    if (r.ok && (await take('tensorflow'))) return (current = { backend: 'tensorflow', device, probes });
    if (gpu) throw new DeviceUnavailable(device, r.ok ? 'tensorflow backend did not initialise' : r.reason);
  }
  if (!prefer || prefer === 'native') {
    const r = await tryNative();
    probes.push({ name: 'native', available: r.ok, reason: r.ok ? `registered as '${r.name}'` : r.reason });
    if (r.ok && (await take(r.name))) return (current = { backend: r.name, device, probes });
  }
  if (!prefer || prefer === 'wasm') {
    const r = await tryWasm();
    const ok = r.ok && (await take('wasm'));
    probes.push({ name: 'wasm', available: ok, reason: ok ? 'SIMD wasm, 1 thread' : r.ok ? 'wasm backend did not initialise' : r.reason });
    if (ok) return (current = { backend: 'wasm', device, probes });
  }
  await take('cpu');
  probes.push({ name: 'cpu', available: true, reason: 'pure-JS fallback (slow)' });
  return (current = { backend: 'cpu', device, probes });
}

/** The backend chosen by initBackend in this process, if any. */
export function currentBackend(): BackendInfo | undefined { return current; }

/** Everything `fbw doctor` prints about tensor backends and devices. */
export interface BackendReport {
  readonly chosen: BackendInfo;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly simd: boolean;
  readonly wasmThreads: string;
  readonly cudaVisibleDevices: string | undefined;
  readonly gpus: readonly string[];
  readonly openblas: string;
  /** the native kernels' GEMM, SIMD path and threads, when the native backend registered */
  readonly native?: NativeKernelInfo;
}

/** Probe every backend (without changing a backend already chosen) for `fbw doctor`. */
export async function backendReport(): Promise<BackendReport> {
  const chosen = await initBackend('cpu');
  const wa = (globalThis as unknown as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly;
  const simd = !!wa && wa.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));
  const gpuProbe = await tryImport('@tensorflow/tfjs-node-gpu');
  const gpus: string[] = [];
  const smi = ['/proc/driver/nvidia/gpus'];
  for (const p of smi) if (existsSync(p)) gpus.push(`NVIDIA driver present (${p})`);
  if (!gpuProbe.ok) gpus.push(`no gpu backend: ${gpuProbe.reason}`);
  const blas = ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0', '/usr/lib/x86_64-linux-gnu/libopenblas.so.0', '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0'].find((p) => existsSync(p));
  const probed = new Set(chosen.probes.map((p) => p.name));
  const others: BackendProbe[] = [];
  if (!probed.has('wasm')) {
    const r = await tryWasm();
    others.push({ name: 'wasm', available: r.ok, reason: r.ok ? `available (SIMD wasm in ${wasmDir()}), not used: a faster backend was found` : r.reason });
  }
  if (!probed.has('cpu')) others.push({ name: 'cpu', available: true, reason: 'available (pure JS), not used: a faster backend was found' });
  return {
    chosen: { ...chosen, probes: [...chosen.probes, ...others] },
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    simd,
    wasmThreads: 'wasm runs single-threaded in Node (tfjs disables wasm threads there)',
    cudaVisibleDevices: process.env['CUDA_VISIBLE_DEVICES'],
    gpus,
    openblas: blas ?? 'not found (native backend uses its built-in GEMM)',
    ...(nativeInfo ? { native: nativeInfo } : {}),
  };
}
