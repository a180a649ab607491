// Registers `fbw-native`: the tfjs `cpu` backend with its hot kernels replaced by the C++ addon
// (OpenBLAS GEMM when present). This is fbw's fast CPU path; the backend chooser in
// src/ml/backend/ calls it first on cpu devices and falls back to wasm when it says why not.
import '@tensorflow/tfjs-backend-cpu';
import { engine, getKernelsForBackend, registerBackend, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { NativeBackend } from './NativeBackend.js';
import { loadNativeAddon, type NativeAddonInfo } from './nativeAddon.js';
import { nativeThreads } from './nativeThreads.js';
import { nativeKernels, withFallback } from './nativeKernels.js';

/** The tfjs backend name of fbw's native CPU path. */
export const NATIVE_BACKEND_NAME = 'fbw-native';

/** What registerNativeBackend reports. */
export type NativeBackendStatus =
  | { readonly ok: true; readonly name: string; readonly info: NativeAddonInfo }
  | { readonly ok: false; readonly reason: string };

let status: NativeBackendStatus | undefined;

/**
 * Registers the `fbw-native` backend (idempotent). It does not make it the active backend:
 * call `tf.setBackend('fbw-native')` after an ok result.
 */
export async function registerNativeBackend(): Promise<NativeBackendStatus> {
  if (status !== undefined) return status;
  const loaded = loadNativeAddon();
  if (!loaded.ok) {
    status = { ok: false, reason: loaded.reason };
    return status;
  }
  const addon = loaded.addon;
  let info: NativeAddonInfo;
  try {
    addon.setThreads(nativeThreads());
    info = addon.info();
  } catch (e) {
    status = { ok: false, reason: `native addon ${loaded.path} does not answer: ${(e as Error).message}` };
    return status;
  }
  const cpuKernels = getKernelsForBackend('cpu');
  if (cpuKernels.length === 0) {
    status = { ok: false, reason: 'the tfjs cpu backend registered no kernels (two copies of @tensorflow/tfjs-core installed?)' };
    return status;
  }
  registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(addon), 0);
  for (const k of cpuKernels) {
    const native = nativeKernels[k.kernelName];
    const cpu = k.kernelFunc;
    const kernelFunc: KernelFunc = native !== undefined ? withFallback(native, cpu) : guardAliases(cpu);
    registerKernel({ ...k, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  }
  status = { ok: true, name: NATIVE_BACKEND_NAME, info };
  return status;
}

/**
 * Wraps a cpu kernel so that an output sharing memory with a pooled input under a new data id
 * (Slice-style views inside composite cpu kernels such as SplitV or StridedSlice) takes that
 * buffer out of the pool instead of letting it be recycled under the view.
 */
function guardAliases(cpu: KernelFunc): KernelFunc {
  return (args) => {
    const result = cpu(args);
    const backend = args.backend as NativeBackend;
    const outs: TensorInfo[] = Array.isArray(result) ? result : [result];
    const inputs = Object.values(args.inputs);
    for (const o of outs) {
      if (!backend.data.has(o.dataId)) continue;
      const v = backend.data.get(o.dataId).values;
      if (!backend.isOwned(v)) continue;
      if (inputs.some((i) => i !== undefined && i.dataId === o.dataId)) continue;
      backend.escape(v);
    }
    return result;
  };
}

/** The active fbw-native backend instance, or undefined when another backend is active. */
export function activeNativeBackend(): NativeBackend | undefined {
  const b = engine().backend;
  return b instanceof NativeBackend ? b : undefined;
}
