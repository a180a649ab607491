// safetensors reading and writing (https://github.com/huggingface/safetensors, format section):
// 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}},
// "__metadata__" (string map), then the raw little-endian data. The reader reads one tensor at
// a time from disk so merges can stream; nothing here loads a whole file unless asked to.
import { open, type FileHandle, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PersistedFileInvalid } from '../../util/jsonFormat.js';
import { parseSafetensorsHeader, type SafetensorsHeader } from './hfFormats.js';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** byte offsets relative to the start of the data section, end exclusive */
  readonly begin: number;
  readonly end: number;
}

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A file that is not valid safetensors, or a tensor that is not in it: says which file and why. */
export class SafetensorsError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'SafetensorsError';
  }
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** float32 → IEEE half, round to nearest even (as torch's .half()); overflow gives ±inf. */
function f32ToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const man = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** float32 values → little-endian F16 or BF16 bytes (round to nearest even, NaN kept NaN). */
export function encodeHalf(data: Float32Array, dtype: 'F16' | 'BF16'): Uint8Array {
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  if (dtype === 'F16') for (let i = 0; i < src.length; i++) out[i] = f32ToF16(src[i]!);
  else for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? ((b >>> 16) | 0x40) : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return new Uint8Array(out.buffer);
}

/** Decode raw little-endian bytes of any float/int dtype into a fresh Float32Array. */
export function decodeToF32(bytes: Uint8Array, dtype: Dtype, count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      else for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    case 'F64': for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true); return out;
    case 'F16': for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true)); return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true)); return out;
    case 'I32': for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true); return out;
    case 'I16': for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true); return out;
    case 'I8': for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); return out;
    case 'U8': case 'BOOL': for (let i = 0; i < count; i++) out[i] = bytes[i]!; return out;
  }
}

/** The header JSON through its schema; the error says which file and which entry is wrong. */
function parseHeader(text: string, path: string): SafetensorsHeader {
  try { return parseSafetensorsHeader(text, path); } catch (e) {
    if (!(e instanceof PersistedFileInvalid)) throw e;
    throw new SafetensorsError(path, e.reason.startsWith('not JSON') ? 'header is not valid JSON (truncated or not a safetensors file)' : `malformed header: ${e.reason}`);
  }
}

/** Random access to the tensors of one safetensors file. */
export class SafetensorsReader {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly dataStart: number,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly infos: ReadonlyMap<string, TensorInfo>,
  ) {}

  static async open(path: string): Promise<SafetensorsReader> {
    let fh: FileHandle;
    try { fh = await open(path, 'r'); } catch (e) { throw new SafetensorsError(path, `cannot open: ${(e as Error).message}`); }
    try {
      const size = (await fh.stat()).size;
      if (size < 8) throw new SafetensorsError(path, `file is ${size} bytes, too short for a safetensors header`);
      const lenBuf = Buffer.alloc(8);
      await fh.read(lenBuf, 0, 8, 0);
      const n = Number(lenBuf.readBigUInt64LE(0));
      if (n <= 1 || 8 + n > size || n > 100_000_000) {
        const head = lenBuf.subarray(0, 2);
        const hint = head[0] === 0x80 || (head[0] === 0x50 && head[1] === 0x4b) ? ' (this looks like a PyTorch pickle/zip .bin checkpoint; convert it to safetensors first)' : '';
        throw new SafetensorsError(path, `invalid header length ${n}${hint}`);
      }
      const hb = Buffer.alloc(n);
      await fh.read(hb, 0, n, 8);
      const header = parseHeader(hb.toString('utf8'), path);
      const dataStart = 8 + n;
      const dataLen = size - dataStart;
      const infos = new Map<string, TensorInfo>();
      const metadata = header.metadata;
      for (const [name, e] of header.tensors) {
        if (!(e.dtype in BYTES)) throw new SafetensorsError(path, `tensor '${name}': unknown dtype '${e.dtype}'`);
        const [begin, end] = e.data_offsets;
        const dtype = e.dtype as Dtype;
        if (end - begin !== numel(e.shape) * BYTES[dtype] || end > dataLen || begin < 0) {
          throw new SafetensorsError(path, `tensor '${name}': data offsets [${begin}, ${end}) do not fit shape [${e.shape.join(', ')}] ${dtype} within ${dataLen} data bytes (file truncated?)`);
        }
        infos.set(name, { name, dtype, shape: e.shape, begin, end });
      }
      return new SafetensorsReader(path, fh, dataStart, metadata, infos);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** tensor descriptions in file order */
  tensors(): TensorInfo[] {
    return [...this.infos.values()].sort((a, b) => a.begin - b.begin);
  }

  has(name: string): boolean { return this.infos.has(name); }

  info(name: string): TensorInfo {
    const i = this.infos.get(name);
    if (!i) throw new SafetensorsError(this.path, `no tensor named '${name}'`);
    return i;
  }

  /** raw bytes of one tensor */
  async readBytes(name: string): Promise<Uint8Array> {
    const i = this.info(name);
    const buf = new Uint8Array(i.end - i.begin);
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.dataStart + i.begin);
    if (bytesRead !== buf.length) throw new SafetensorsError(this.path, `tensor '${name}': short read (file truncated?)`);
    return buf;
  }

  /**
   * Elements [start, start + count) of one tensor, decoded to float32 into `target` (no
   * allocation for F32 files: the bytes land in target's memory). Lets merges stream a large
   * tensor in chunks through reused buffers.
   */
  async readInto(name: string, target: Float32Array, start = 0, count?: number): Promise<void> {
    const i = this.info(name);
    const total = numel(i.shape);
    const n = count ?? total - start;
    if (start < 0 || n < 0 || start + n > total) throw new RangeError(`readInto '${name}': elements [${start}, ${start + n}) outside [0, ${total})`);
    if (n > target.length) throw new RangeError(`readInto '${name}': ${n} elements do not fit a target of ${target.length}`);
    const w = BYTES[i.dtype];
    const pos = this.dataStart + i.begin + start * w;
    const len = n * w;
    const bytes = i.dtype === 'F32'
      ? new Uint8Array(target.buffer, target.byteOffset, len)
      : new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(bytes, got, len - got, pos + got);
      if (bytesRead === 0) throw new SafetensorsError(this.path, `tensor '${name}': short read (file truncated?)`);
      got += bytesRead;
    }
    if (i.dtype !== 'F32') target.set(decodeToF32(bytes, i.dtype, n));
  }

  /** one tensor as float32, whatever its stored dtype */
  async read(name: string): Promise<NamedTensor> {
    const i = this.info(name);
    const bytes = await this.readBytes(name);
    return { shape: i.shape, data: decodeToF32(bytes, i.dtype, numel(i.shape)) };
  }

  /** every tensor as float32 (loads the whole file: for models, not for streaming merges) */
  async readAll(): Promise<Map<string, NamedTensor>> {
    const out = new Map<string, NamedTensor>();
    for (const t of this.tensors()) out.set(t.name, await this.read(t.name));
    return out;
  }

  async close(): Promise<void> { await this.fh.close(); }
}

/**
 * Writes a safetensors file tensor by tensor: shapes are declared up front (the header comes
 * first), data is appended in declaration order. Written to `path.tmp-PID` and renamed on
 * close, so a crash never leaves a truncated file under the final name.
 */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** stored dtype; default F32. Non-F32 tensors are written with writeBytes (raw copy). */
  readonly dtype?: Dtype;
}

export class SafetensorsWriter {
  private next = 0;
  private offset = 0;
  /** bytes of the current tensor already appended by writePart */
  private partial = 0;
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly specs: readonly TensorSpec[],
    private readonly dataStart: number,
    private readonly begins: ReadonlyMap<string, { begin: number; spec: TensorSpec }>,
  ) {}

  static async create(path: string, specs: readonly TensorSpec[], metadata: Record<string, string> = {}): Promise<SafetensorsWriter> {
    const header: Record<string, unknown> = {};
    const begins = new Map<string, { begin: number; spec: TensorSpec }>();
    if (Object.keys(metadata).length) header['__metadata__'] = metadata;
    let off = 0;
    for (const s of specs) {
      const dtype = s.dtype ?? 'F32';
      const bytes = numel(s.shape) * BYTES[dtype];
      header[s.name] = { dtype, shape: s.shape, data_offsets: [off, off + bytes] };
      begins.set(s.name, { begin: off, spec: s });
      off += bytes;
    }
    let json = JSON.stringify(header);
    // pad with spaces so the data section starts 8-byte aligned (allowed by the format)
    json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
    const hb = Buffer.from(json, 'utf8');
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w');
    const lenBuf = Buffer.alloc(8);
    lenBuf.writeBigUInt64LE(BigInt(hb.length));
    await fh.write(lenBuf, 0, 8, 0);
    await fh.write(hb, 0, hb.length, 8);
    return new SafetensorsWriter(path, tmp, fh, specs, 8 + hb.length, begins);
  }

  /** append the next tensor (must be the next one declared, with the declared size) */
  async write(name: string, data: Float32Array): Promise<void> {
    const s = this.specs[this.next];
    if (!s || s.name !== name) throw new Error(`SafetensorsWriter: expected tensor '${s?.name ?? '(none)'}', got '${name}'`);
    if (data.length !== numel(s.shape)) throw new Error(`SafetensorsWriter: tensor '${name}' has ${data.length} values, shape [${s.shape.join(', ')}] needs ${numel(s.shape)}`);
    await this.writePart(name, data);
  }

  /**
   * Append the next slice of the current F32 tensor (chunked streaming); moves on to the next
   * declared tensor once its size is reached. Positions are claimed synchronously, so several
   * parts may be in flight at once as long as they are issued in order.
   */
  writePart(name: string, data: Float32Array): Promise<void> {
    const s = this.specs[this.next];
    if (!s || s.name !== name) throw new Error(`SafetensorsWriter: expected tensor '${s?.name ?? '(none)'}', got '${name}'`);
    const dtype = s.dtype ?? 'F32';
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw new Error(`SafetensorsWriter: tensor '${name}' is declared ${s.dtype}; write it with writeBytes`);
    const total = numel(s.shape) * BYTES[dtype];
    const bytes = dtype === 'F32' ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : encodeHalf(data, dtype);
    if (this.partial + bytes.byteLength > total) throw new Error(`SafetensorsWriter: tensor '${name}' gets more than the ${numel(s.shape)} values of shape [${s.shape.join(', ')}]`);
    return this.append(bytes, total);
  }

  /** append the next tensor as raw little-endian bytes of its declared dtype (a verbatim copy) */
  writeBytes(name: string, bytes: Uint8Array): Promise<void> {
    const s = this.specs[this.next];
    if (!s || s.name !== name) throw new Error(`SafetensorsWriter: expected tensor '${s?.name ?? '(none)'}', got '${name}'`);
    const total = numel(s.shape) * BYTES[s.dtype ?? 'F32'];
    if (this.partial !== 0 || bytes.byteLength !== total) throw new Error(`SafetensorsWriter: tensor '${name}' needs ${total} bytes, got ${bytes.byteLength}`);
    return this.append(bytes, total);
  }

  private async append(bytes: Uint8Array, total: number): Promise<void> {
    const pos = this.dataStart + this.offset;
    this.offset += bytes.byteLength;
    this.partial += bytes.byteLength;
    if (this.partial === total) { this.next++; this.partial = 0; }
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done, pos + done);
      done += bytesWritten;
    }
  }

  /** overwrite one already-written F32 element (for merges that settle a few values at the end) */
  async patch(name: string, index: number, value: number): Promise<void> {
    const b = this.begins.get(name);
    const dtype = b?.spec.dtype ?? 'F32';
    if (!b || (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') || index < 0 || index >= numel(b.spec.shape)) throw new Error(`SafetensorsWriter: cannot patch element ${index} of '${name}'`);
    const buf = dtype === 'F32' ? Buffer.alloc(4) : Buffer.from(encodeHalf(Float32Array.of(value), dtype));
    if (dtype === 'F32') buf.writeFloatLE(value, 0);
    await this.fh.write(buf, 0, buf.length, this.dataStart + b.begin + index * BYTES[dtype]);
  }

  /** give up: close and delete the temporary file (nothing appears under the final name) */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }

  /** flush, fsync and rename into place */
  async close(): Promise<void> {
    if (this.next !== this.specs.length) throw new Error(`SafetensorsWriter: ${this.specs.length - this.next} declared tensors were not written to ${this.path}`);
    await this.fh.sync();
    await this.fh.close();
    await rename(this.tmp, this.path);
  }
}

/** Write a whole state dict (float32) in one call, tensors in the map's order. */
export async function writeSafetensors(path: string, tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Promise<void> {
  const w = await SafetensorsWriter.create(path, [...tensors].map(([name, t]) => ({ name, shape: t.shape })), metadata);
  for (const [name, t] of tensors) await w.write(name, t.data);
  await w.close();
}

/** Read a whole safetensors file into float32 tensors. */
export async function readSafetensors(path: string): Promise<Map<string, NamedTensor>> {
  const r = await SafetensorsReader.open(path);
  try { return await r.readAll(); } finally { await r.close(); }
}
