// The shape of a streaming merge: whether it needs the pretrained base, and a kernel over aligned
// float32 chunks. The engine in mergeFiles.ts does all file handling. Names, parameters and
// defaults are not here: they live in the catalogue (src/registry/methods/), which calls these.

/** Aligned slices of one tensor, one slice per input; buffers are reused between calls. */
export interface Chunk {
  readonly name: string;
  readonly shape: readonly number[];
  /** element offset of this slice within the tensor */
  readonly start: number;
  readonly length: number;
  /** 2-D `.weight` of a Linear layer (not an embedding): DARE's only_on_linear_weights */
  readonly linearWeight: boolean;
  readonly base: Float32Array | undefined;
  readonly models: readonly Float32Array[];
}

/** What a method's whole-model passes can do before the merge pass. */
export interface PassContext {
  readonly numModels: number;
  /** total float elements in scope (the length of FusionBench's flattened state-dict vector) */
  readonly numel: number;
  /** stream every in-scope tensor of every input once, in order */
  pass(visit: (c: Chunk) => void): Promise<void>;
  /** human log line (the stage's log file, or stderr for the CLI) */
  readonly log: (line: string) => void;
}

/** The per-chunk merge, plus values to settle after the pass (rare, e.g. TIES sign ties). */
export interface Kernel {
  /** write the merged slice into out[0..c.length) */
  apply(c: Chunk, out: Float32Array): void;
  /** values to overwrite after the merge pass: (tensor, element index) -> value */
  finish?(): Iterable<readonly [string, number, number]>;
}

/**
 * A merge ready to stream: its arguments are already resolved (the catalogue in
 * src/registry/methods/ names each method, its parameters and defaults, and builds this).
 */
export interface StreamingMerge {
  /** for logs and merge.json */
  readonly name: string;
  readonly needsBase: boolean;
  /** tensors (by name) kept at the base value instead of merged */
  readonly removedKeys: readonly string[];
  prepare(ctx: PassContext): Promise<Kernel>;
}
