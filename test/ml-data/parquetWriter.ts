import { gzipSync } from 'node:zlib';

// A minimal Parquet writer for test fixtures, so the project can make Hugging Face-style image
// parquet files without any download. Format per apache/parquet-format (Thrift compact protocol
// footer, data page v1, PLAIN values, RLE definition levels, uncompressed or gzip). Schema is fixed to
// the `datasets` image layout: optional struct image {optional binary bytes, optional string path},
// optional int64 label.

class Compact {
  readonly bytes: number[] = [];
  private last: number[] = [0];
  varint(n: number): void {
    let v = BigInt(n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (v > 0n);
  }
  zigzag(n: number): void {
    const v = BigInt(n);
    this.varint(Number(v >= 0n ? v << 1n : ((-v) << 1n) - 1n));
  }
  field(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1]!;
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void { this.field(id, 5); this.zigzag(v); }
  i64(id: number, v: number): void { this.field(id, 6); this.zigzag(v); }
  bin(id: number, s: string): void {
    this.field(id, 8);
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    this.bytes.push(...b);
  }
  struct(id: number, body: () => void): void { this.field(id, 12); this.begin(); body(); this.end(); }
  begin(): void { this.last.push(0); }
  end(): void { this.bytes.push(0); this.last.pop(); }
  list(id: number, elemType: number, n: number, each: (i: number) => void): void {
    this.field(id, 9);
    if (n < 15) this.bytes.push((n << 4) | elemType);
    else { this.bytes.push(0xf0 | elemType); this.varint(n); }
    for (let i = 0; i < n; i++) each(i);
  }
}

// RLE/bit-packed hybrid with one RLE run of `value` repeated n times, 4-byte length prefix.
function defLevels(n: number, value: number): Buffer {
  const c = new Compact();
  c.varint(n << 1);
  c.bytes.push(value);
  const body = Buffer.from(c.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

interface Chunk { readonly path: readonly string[]; readonly type: number; readonly n: number; readonly offset: number; readonly headerAndPage: number; readonly uncompressed: number }

/** Bytes of a parquet file with HF image rows: {image: {bytes, path}, label}. */
export function writeImageParquet(rows: readonly { readonly bytes: Uint8Array; readonly path: string; readonly label: number }[], codec: 'UNCOMPRESSED' | 'GZIP' = 'UNCOMPRESSED'): Buffer {
  const n = rows.length;
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: Chunk[] = [];
  const addColumn = (path: string[], type: number, maxDef: number, values: Buffer): void => {
    const raw = Buffer.concat([defLevels(n, maxDef), values]);
    const page = codec === 'GZIP' ? gzipSync(raw) : raw;
    const h = new Compact();
    h.i32(1, 0); // DATA_PAGE
    h.i32(2, raw.length);
    h.i32(3, page.length);
    h.struct(5, () => { h.i32(1, n); h.i32(2, 0); h.i32(3, 3); h.i32(4, 3); });
    h.bytes.push(0);
    const header = Buffer.from(h.bytes);
    chunks.push({ path, type, n, offset, headerAndPage: header.length + page.length, uncompressed: header.length + raw.length });
    parts.push(header, page);
    offset += header.length + page.length;
  };
  const plainBinary = (vals: readonly Uint8Array[]): Buffer => Buffer.concat(vals.flatMap((v) => { const l = Buffer.alloc(4); l.writeUInt32LE(v.length); return [l, Buffer.from(v)]; }));
  addColumn(['image', 'bytes'], 6, 2, plainBinary(rows.map((r) => r.bytes)));
  addColumn(['image', 'path'], 6, 2, plainBinary(rows.map((r) => Buffer.from(r.path, 'utf8'))));
  const labels = Buffer.alloc(8 * n);
  rows.forEach((r, i) => labels.writeBigInt64LE(BigInt(r.label), i * 8));
  addColumn(['label'], 2, 1, labels);

  const m = new Compact();
  m.i32(1, 1);
  const schema: [string, number | undefined, number, number | undefined, number | undefined][] = [
    // name, type, repetition, num_children, converted_type
    ['schema', undefined, 0, 2, undefined],
    ['image', undefined, 1, 2, undefined],
    ['bytes', 6, 1, undefined, undefined],
    ['path', 6, 1, undefined, 0],
    ['label', 2, 1, undefined, undefined],
  ];
  m.list(2, 12, schema.length, (i) => {
    const [name, type, rep, children, conv] = schema[i]!;
    m.begin();
    if (type !== undefined) m.i32(1, type);
    if (i > 0) m.i32(3, rep);
    m.bin(4, name);
    if (children !== undefined) m.i32(5, children);
    if (conv !== undefined) m.i32(6, conv);
    m.end();
  });
  m.i64(3, n);
  m.list(4, 12, 1, () => {
    m.begin();
    m.list(1, 12, chunks.length, (i) => {
      const c = chunks[i]!;
      m.begin();
      m.i64(2, c.offset);
      m.struct(3, () => {
        m.i32(1, c.type);
        m.list(2, 5, 2, (k) => m.zigzag(k === 0 ? 0 : 3));
        m.list(3, 8, c.path.length, (k) => { const b = Buffer.from(c.path[k]!); m.varint(b.length); m.bytes.push(...b); });
        m.i32(4, codec === 'GZIP' ? 2 : 0);
        m.i64(5, c.n);
        m.i64(6, c.uncompressed);
        m.i64(7, c.headerAndPage);
        m.i64(9, c.offset);
      });
      m.end();
    });
    m.i64(2, chunks.reduce((a, c) => a + c.headerAndPage, 0));
    m.i64(3, n);
    m.end();
  });
  m.bin(6, 'fbw test fixture writer');
  m.bytes.push(0);
  const footer = Buffer.from(m.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  parts.push(footer, len, Buffer.from('PAR1'));
  return Buffer.concat(parts);
}
