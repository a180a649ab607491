// A state dict on disk, tensor by tensor: one safetensors file, a model folder with
// model.safetensors, or a sharded folder (model.safetensors.index.json + shards, as Hugging Face
// and mergekit write them). Merges address tensors by name without caring which shard holds them.
import { readFile, stat } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { SafetensorsReader, SafetensorsError, type TensorInfo } from '../io/safetensors.js';
import { shardIndexFormat } from '../io/hfFormats.js';
import { PersistedFileInvalid } from '../../util/jsonFormat.js';

/** Where one tensor lives. */
interface Located { readonly reader: SafetensorsReader; readonly info: TensorInfo }

/** Random access to the tensors of a model, however many files it is split over. */
export class StateDictSource {
  private constructor(
    /** what the user named (file or folder) */
    readonly path: string,
    /** folder with config/tokenizer files, when the input is a model folder */
    readonly folder: string | undefined,
    private readonly readers: readonly SafetensorsReader[],
    private readonly byName: ReadonlyMap<string, Located>,
    private readonly order: readonly TensorInfo[],
  ) {}

  /** Open a .safetensors file or a model folder (single file or sharded). */
  static async open(path: string): Promise<StateDictSource> {
    let isDir: boolean;
    try { isDir = (await stat(path)).isDirectory(); } catch { throw new SafetensorsError(path, 'no such file or folder (give a .safetensors file or a model folder containing model.safetensors)'); }
    let files: string[];
    let folder: string | undefined;
    /** for a sharded folder: the shard each tensor belongs to (a shard may hold more, e.g. a base model's) */
    let weightMap: { readonly [tensor: string]: string } | undefined;
    if (!isDir) {
      files = [path];
      folder = undefined;
    } else {
      folder = path;
      const single = join(path, 'model.safetensors');
      const index = join(path, 'model.safetensors.index.json');
      if (await exists(single)) files = [single];
      else if (await exists(index)) {
        try { weightMap = (await shardIndexFormat.readAsync(index)).weight_map; } catch (e) { throw new SafetensorsError(index, `unreadable shard index: ${e instanceof PersistedFileInvalid ? e.reason : (e as Error).message}`); }
        files = [...new Set(Object.values(weightMap))].sort().map((f) => join(path, f));
      } else {
        throw new SafetensorsError(path, 'folder has neither model.safetensors nor model.safetensors.index.json (a PyTorch .bin checkpoint must be converted to safetensors first)');
      }
    }
    const readers: SafetensorsReader[] = [];
    try {
      for (const f of files) readers.push(await SafetensorsReader.open(f));
    } catch (e) {
      for (const r of readers) await r.close();
      throw e;
    }
    const byName = new Map<string, Located>();
    const order: TensorInfo[] = [];
    for (const reader of readers) {
      for (const info of reader.tensors()) {
        if (weightMap && folder && join(folder, weightMap[info.name] ?? '\u0000') !== reader.path) continue;
        if (byName.has(info.name)) {
          for (const r of readers) await r.close();
          throw new SafetensorsError(reader.path, `tensor '${info.name}' also appears in ${byName.get(info.name)!.reader.path}`);
        }
        byName.set(info.name, { reader, info });
        order.push(info);
      }
    }
    return new StateDictSource(path, folder ?? (files.length === 1 && files[0]!.endsWith('model.safetensors') ? dirname(files[0]!) : undefined), readers, byName, order);
  }

  /** tensors in storage order (shard by shard, file order within a shard) */
  tensors(): readonly TensorInfo[] { return this.order; }

  has(name: string): boolean { return this.byName.has(name); }

  info(name: string): TensorInfo { return this.locate(name).info; }

  /** file holding `name` (for error messages) */
  fileOf(name: string): string { return this.locate(name).reader.path; }

  readInto(name: string, target: Float32Array, start: number, count: number): Promise<void> {
    return this.locate(name).reader.readInto(name, target, start, count);
  }

  readBytes(name: string): Promise<Uint8Array> { return this.locate(name).reader.readBytes(name); }

  /** metadata of the first file (e.g. {format: 'pt'}) */
  get metadata(): Readonly<Record<string, string>> { return this.readers[0]?.metadata ?? {}; }

  async close(): Promise<void> { for (const r of this.readers) await r.close(); }

  private locate(name: string): Located {
    const l = this.byName.get(name);
    if (!l) throw new SafetensorsError(this.path, `no tensor named '${name}'`);
    return l;
  }
}

async function exists(p: string): Promise<boolean> {
  try { await stat(p); return true; } catch { return false; }
}
