// The `fbw-native` tfjs backend: the `cpu` backend's data store (plain TypedArrays) plus a pool
// of float32 output buffers, so native kernels write into recycled memory instead of making the
// garbage collector reclaim ~MBs per op (pooling cut GC from 18 % to 7 % of CPU time in the probe).
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataId } from '@tensorflow/tfjs-core';
import type { TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './nativeAddon.js';

/** Smallest buffer worth pooling (elements); tiny arrays are cheaper to allocate than to track. */
const MIN_POOLED = 64;

/** A cpu-derived backend whose float32 outputs come from a size-keyed pool. */
export class NativeBackend extends MathBackendCPU {
  readonly addon: NativeAddon;
  /** Buffers this backend allocated and may recycle: never handed to user code. */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  private readonly maxPooledBytes: number;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    // The cpu backend prints a "use tfjs-node" banner on first write; this backend is the answer.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    const mb = Number(process.env.FBW_NATIVE_POOL_MB ?? '1024');
    this.maxPooledBytes = (Number.isFinite(mb) && mb >= 0 ? mb : 1024) * 1024 * 1024;
  }

  /** An output buffer of n float32s with unspecified contents (kernels overwrite every element). */
  alloc(n: number): Float32Array {
    if (n >= MIN_POOLED) {
      const list = this.pool.get(n);
      if (list !== undefined && list.length > 0) {
        this.pooledBytes -= n * 4;
        return list.pop()!;
      }
      const a = new Float32Array(n);
      this.owned.add(a.buffer);
      return a;
    }
    return new Float32Array(n);
  }

  /** The float32 values of a tensor, read in place. */
  f32(t: TensorInfo): Float32Array {
    const values = this.data.get(t.dataId).values;
    // The cpu backend's Cast to float32 from bool/int32 shares the source buffer (it only relabels
    // the dtype), so a 'float32' tensor may be stored as Uint8Array/Int32Array. The addon reads raw
    // float32 bytes, so convert such storage once here, where every native kernel gets its input.
    return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  }

  /** Wraps a freshly computed float32 buffer as a kernel output. */
  out(shape: number[], values: Float32Array): TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }

  /** Stops recycling the buffer behind `values` (it escaped to user code or is aliased). */
  escape(values: unknown): void {
    if (ArrayBuffer.isView(values)) this.owned.delete(values.buffer);
  }

  /** True when `values` is a buffer this backend may recycle. */
  isOwned(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.owned.has(values.buffer);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    if (this.data.has(dataId)) this.escape(this.data.get(dataId).values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const had = this.data.has(dataId);
    const values = had ? this.data.get(dataId).values : undefined;
    const r = super.disposeData(dataId, force);
    if (had && !this.data.has(dataId) && values instanceof Float32Array && values.length >= MIN_POOLED &&
        this.owned.has(values.buffer) && values.byteOffset === 0 && values.length * 4 === values.buffer.byteLength &&
        this.pooledBytes + values.byteLength <= this.maxPooledBytes) {
      let list = this.pool.get(values.length);
      if (list === undefined) {
        list = [];
        this.pool.set(values.length, list);
      }
      list.push(values);
      this.pooledBytes += values.byteLength;
    }
    return r;
  }

  /** Drops every pooled buffer (e.g. between phases with different tensor sizes). */
  trimPool(): void {
    this.pool.clear();
    this.pooledBytes = 0;
  }

  /** Bytes currently held in the pool. */
  pooledSize(): number {
    return this.pooledBytes;
  }

  override dispose(): void {
    this.trimPool();
    super.dispose();
  }
}
