// The `fbw-native` tfjs backend: the `cpu` backend's data store (plain TypedArrays) plus a pool
// of float32 output buffers, so native kernels write into recycled memory instead of making the
// garbage collector reclaim ~MBs per op (pooling cut GC from 18 % to 7 % of CPU time in the probe).
//
// The pool must not raise the process's peak memory: a fixed cap (1 GB before) let freed
// activations sit resident next to the gradients they could not be reused for (a different
// length), 545 MB of a ViT-B/32 step's 2.1 GB peak. So the pool's resident part ("warm") is capped
// by need: owned buffers in use plus warm ones never exceed the most owned buffers ever in use at
// once (`highWater`). Past that, the least recently asked-for lengths turn "cold": their pages go
// back to the OS at once (madvise in the addon, not whenever the GC runs) while the buffers stay
// pooled, to be faulted back in on reuse. FBW_NATIVE_POOL_MB caps warm + cold (address space).
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataId } from '@tensorflow/tfjs-core';
import type { TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './nativeAddon.js';

/** Smallest buffer worth pooling (elements); tiny arrays are cheaper to allocate than to track. */
const MIN_POOLED = 64;

/** A request may take a pooled buffer up to this many times its length. */
const FIT = 1.25;

/**
 * Warm buffers may exceed the high-water mark by this fraction of it: the two halves of a layer
 * need different lengths (attention: [tokens, width]; MLP: [tokens, 4·width]) at about the same
 * total, and without room for both sets every half would release and re-fault the other's.
 */
const SLACK = Number(process.env.FBW_POOL_SLACK ?? '0.5');

/** Default cap of pooled (warm + cold) buffers, MB. */
const DEFAULT_POOL_MB = 1024;

/** Byte counts of the pool, for probes and benchmarks. */
export interface PoolStats {
  /** owned buffers held by tensors now */
  readonly live: number;
  /** most owned bytes ever held by tensors at once: the warm pool's bound */
  readonly highWater: number;
  /** pooled and resident */
  readonly warm: number;
  /** pooled, pages released to the OS */
  readonly cold: number;
  /** bytes of pages released so far (each is faulted back in if its buffer is reused) */
  readonly released: number;
}

/** Pooled buffers of one length, most recently used length last in the map. */
interface Slot { warm: Float32Array[]; cold: Float32Array[] }

/** A cpu-derived backend whose float32 outputs come from a size-keyed pool. */
export class NativeBackend extends MathBackendCPU {
  readonly addon: NativeAddon;
  /** Buffers this backend allocated and may recycle: never handed to user code. */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  /** length → pooled buffers; Map order = least recently used length first */
  private readonly pool = new Map<number, Slot>();
  /** the pool's lengths, ascending (best-fit search) */
  private readonly lengths: number[] = [];
  private live = 0;
  private highWater = 0;
  private warmBytes = 0;
  private coldBytes = 0;
  private releasedBytes = 0;
  private readonly maxPooledBytes: number;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
    // The cpu backend prints a "use tfjs-node" banner on first write; this backend is the answer.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    const mb = Number(process.env.FBW_NATIVE_POOL_MB ?? String(DEFAULT_POOL_MB));
    this.maxPooledBytes = (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_POOL_MB) * 1024 * 1024;
  }

  /**
   * An output buffer of n float32s with unspecified contents (kernels overwrite every element):
   * a pooled one of that length, else the shortest pooled one up to FIT × longer (as a view of
   * its first n elements: a layer's gradients reuse its activations' buffers, which differ by a few
   * per cent in length), resident ones before released ones; else a new one.
   */
  alloc(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const full = this.take(n, 'warm') ?? this.take(n, 'cold') ?? this.fresh(n);
    this.live += full.byteLength;
    if (this.live > this.highWater) this.highWater = this.live;
    this.coolDown();
    return full.length === n ? full : new Float32Array(full.buffer, 0, n);
  }

  private fresh(n: number): Float32Array {
    const a = new Float32Array(n);
    this.owned.add(a.buffer);
    return a;
  }

  /** A pooled buffer of length in [n, FIT·n] from the `kind` lists, shortest first. */
  private take(n: number, kind: 'warm' | 'cold'): Float32Array | undefined {
    const lens = this.lengths;
    let lo = 0, hi = lens.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (lens[mid]! < n) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < lens.length && lens[i]! <= n * FIT; i++) {
      const len = lens[i]!, slot = this.pool.get(len)!;
      const a = slot[kind].pop();
      if (a === undefined) continue;
      if (kind === 'warm') this.warmBytes -= a.byteLength; else this.coldBytes -= a.byteLength;
      this.pool.delete(len);
      if (slot.warm.length + slot.cold.length > 0) this.pool.set(len, slot); // now most recently used
      else lens.splice(i, 1);
      return a;
    }
    return undefined;
  }

  /** Puts a whole owned buffer in the pool, warm. */
  private put(a: Float32Array): void {
    let slot = this.pool.get(a.length);
    if (slot === undefined) {
      slot = { warm: [], cold: [] };
      this.pool.set(a.length, slot);
      const lens = this.lengths;
      let lo = 0, hi = lens.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (lens[mid]! < a.length) lo = mid + 1; else hi = mid; }
      lens.splice(lo, 0, a.length);
    }
    slot.warm.push(a);
    this.warmBytes += a.byteLength;
  }

  /** Bytes live + warm may reach: the high-water mark plus SLACK of it. */
  private bound(): number {
    return this.highWater * (1 + SLACK);
  }

  /** Releases the pages of warm buffers, least recently asked-for lengths first, until live + warm ≤ bound. */
  private coolDown(): void {
    const bound = this.bound();
    if (this.live + this.warmBytes <= bound) return;
    for (const [n, slot] of this.pool) {
      while (slot.warm.length > 0) {
        const a = slot.warm.pop()!;
        this.releasedBytes += this.addon.release(a);
        slot.cold.push(a);
        this.warmBytes -= n * 4;
        this.coldBytes += n * 4;
        if (this.live + this.warmBytes <= bound) return;
      }
    }
  }

  /** Drops cold buffers (oldest lengths first) until `bytes` more fit under the cap; false if they cannot. */
  private makeRoom(bytes: number): boolean {
    for (const [n, slot] of this.pool) {
      if (this.warmBytes + this.coldBytes + bytes <= this.maxPooledBytes) break;
      while (slot.cold.length > 0 && this.warmBytes + this.coldBytes + bytes > this.maxPooledBytes) {
        slot.cold.pop();
        this.coldBytes -= n * 4;
      }
      if (slot.warm.length === 0 && slot.cold.length === 0) {
        this.pool.delete(n);
        this.lengths.splice(this.lengths.indexOf(n), 1);
      }
    }
    return this.warmBytes + this.coldBytes + bytes <= this.maxPooledBytes;
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
    if (ArrayBuffer.isView(values) && this.owned.delete(values.buffer)) this.live -= values.buffer.byteLength;
  }

  /** True when `values` is a buffer this backend may recycle. */
  isOwned(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.owned.has(values.buffer);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    if (this.data.has(dataId)) {
      const d = this.data.get(dataId);
      const v = d.values;
      if (v instanceof Float32Array && this.isOwned(v) && v.length * 4 !== v.buffer.byteLength) {
        // a view into a longer pooled buffer: hand out an exact copy (user code may read .buffer)
        // and keep the pooled buffer recyclable
        d.values = Float32Array.from(v);
        this.recycle(v);
      } else {
        this.escape(v);
      }
    }
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const had = this.data.has(dataId);
    const values = had ? this.data.get(dataId).values : undefined;
    const r = super.disposeData(dataId, force);
    if (had && !this.data.has(dataId) && values instanceof Float32Array && this.owned.has(values.buffer)) this.recycle(values);
    return r;
  }

  /** An owned buffer no tensor holds any more: into the pool, or its pages back to the OS. */
  private recycle(values: Float32Array): void {
    const full = values.length * 4 === values.buffer.byteLength ? values : new Float32Array(values.buffer);
    this.live -= full.byteLength;
    // live + warm stays ≤ highWater: this buffer was counted in live until now
    if (values.byteOffset === 0 && this.makeRoom(full.byteLength)) {
      this.put(full);
    } else {
      this.owned.delete(values.buffer);
      this.releasedBytes += this.addon.release(full);
    }
  }

  /** Drops every pooled buffer, releasing its pages (e.g. between phases with different tensor sizes). */
  trimPool(): void {
    for (const slot of this.pool.values()) for (const a of slot.warm) this.addon.release(a);
    this.pool.clear();
    this.lengths.length = 0;
    this.warmBytes = 0;
    this.coldBytes = 0;
  }

  /** Resident bytes held in the pool. */
  pooledSize(): number {
    return this.warmBytes;
  }

  /** The pool's byte counts. */
  poolStats(): PoolStats {
    return { live: this.live, highWater: this.highWater, warm: this.warmBytes, cold: this.coldBytes, released: this.releasedBytes };
  }

  override dispose(): void {
    this.trimPool();
    super.dispose();
  }
}
