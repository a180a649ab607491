// CLIP's byte-level BPE tokenizer, as OpenAI's clip/simple_tokenizer.py and Hugging Face's
// CLIPTokenizer implement it (https://github.com/openai/CLIP, transformers/models/clip/
// tokenization_clip.py): clean text (NFC, HTML entities, control characters), collapse
// whitespace, lower-case, split with CLIP's regex, map bytes to printable unicode
// (bytes_to_unicode), mark word ends with `</w>`, apply merges by rank, look up ids in vocab.json.
// trainBpe learns a vocabulary in the same format (Sennrich et al. 2016, "Neural Machine
// Translation of Rare Words with Subword Units"), for the bundled tiny CLIP.
import { readFile } from 'node:fs/promises';
import { jsonFormat, PersistedFileInvalid } from '../../util/jsonFormat.js';

/** vocab.json (HF CLIP layout): token -> id. */
const vocabFormat = jsonFormat<{ readonly [token: string]: number }>('tokenizer vocabulary', { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } });

/** Special token that starts every encoded text. */
export const START_OF_TEXT = '<|startoftext|>';
/** Special token that ends every encoded text (also the padding token, as in HF CLIP). */
export const END_OF_TEXT = '<|endoftext|>';

/** A vocab.json / merges.txt pair that does not form a CLIP tokenizer: names the file and the problem. */
export class TokenizerFileError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'TokenizerFileError';
  }
}

/** GPT-2/CLIP bytes_to_unicode: a reversible map from the 256 bytes to printable characters. */
export function bytesToUnicode(): readonly string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i]!)));
  return table;
}

const BYTE_TO_UNICODE = bytesToUnicode();
const UNICODE_TO_BYTE = new Map<string, number>(BYTE_TO_UNICODE.map((c, b) => [c, b]));
// bytes_to_unicode().values() in dict order: the printable ranges first, then the remapped bytes
const BASE_SYMBOLS: readonly string[] = (() => {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order.map((b) => BYTE_TO_UNICODE[b]!);
})();

// CLIP's pre-tokenizer pattern (re.IGNORECASE in the original; the text is lower-cased already).
const PAT = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

const UTF8 = new TextEncoder();

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function htmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** CLIP's text normalisation: basic_clean + whitespace_clean + lower-case. */
export function cleanText(text: string): string {
  let t = text.normalize('NFC');
  t = htmlUnescape(htmlUnescape(t));
  t = t.replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g, '');
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The words of a text as CLIP's BPE sees them: cleaned, split, bytes mapped to unicode symbols. */
export function preTokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of cleanText(text).matchAll(PAT)) {
    const w = m[0];
    if (w === START_OF_TEXT || w === END_OF_TEXT) {
      out.push(w);
      continue;
    }
    let s = '';
    for (const b of UTF8.encode(w)) s += BYTE_TO_UNICODE[b]!;
    out.push(s);
  }
  return out;
}

/** CLIP's tokenizer: same ids as HF CLIPTokenizer for the same vocab.json and merges.txt. */
export class ClipTokenizer {
  private readonly ranks: Map<string, number>;
  private readonly decoder: Map<number, string>;
  private readonly cache = new Map<string, readonly string[]>();
  /** id of <|startoftext|> */
  readonly sot: number;
  /** id of <|endoftext|> (also used for padding) */
  readonly eot: number;

  private constructor(readonly vocab: ReadonlyMap<string, number>, merges: readonly string[], source: string) {
    this.ranks = new Map(merges.map((m, i) => [m, i]));
    this.decoder = new Map([...vocab].map(([t, i]) => [i, t]));
    const sot = vocab.get(START_OF_TEXT), eot = vocab.get(END_OF_TEXT);
    if (sot === undefined || eot === undefined) throw new TokenizerFileError(source, `vocabulary lacks ${START_OF_TEXT} or ${END_OF_TEXT}`);
    this.sot = sot;
    this.eot = eot;
    this.cache.set(START_OF_TEXT, [START_OF_TEXT]);
    this.cache.set(END_OF_TEXT, [END_OF_TEXT]);
  }

  /** Load from a vocab.json and a merges.txt (HF CLIP layout; a `#version` header line is skipped). */
  static async fromFiles(vocabJson: string, mergesTxt: string): Promise<ClipTokenizer> {
    let vocab: { readonly [token: string]: number };
    try {
      vocab = await vocabFormat.readAsync(vocabJson);
    } catch (e) {
      throw new TokenizerFileError(vocabJson, e instanceof PersistedFileInvalid ? `expected a JSON object {token: id} (${e.reason})` : `cannot read vocabulary JSON (${(e as Error).message})`);
    }
    let merges: string;
    try {
      merges = await readFile(mergesTxt, 'utf8');
    } catch (e) {
      throw new TokenizerFileError(mergesTxt, `cannot read merges (${(e as Error).message})`);
    }
    return ClipTokenizer.fromData(vocab, parseMerges(merges), vocabJson);
  }

  /** Build from an in-memory vocabulary and merge list ("a b" strings, rank order). */
  static fromData(vocab: Readonly<Record<string, number>>, merges: readonly string[], source = '<memory>'): ClipTokenizer {
    const m = new Map<string, number>();
    for (const [k, v] of Object.entries(vocab)) {
      if (!Number.isInteger(v)) throw new TokenizerFileError(source, `id of token ${JSON.stringify(k)} is not an integer`);
      m.set(k, v);
    }
    return new ClipTokenizer(m, merges, source);
  }

  /** number of entries in the vocabulary (the text model's vocab_size) */
  get vocabSize(): number {
    return this.vocab.size;
  }

  // Apply merges by rank to one pre-tokenized word; returns its BPE symbols.
  private bpe(word: string): readonly string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let parts = chars.slice(0, -1);
    parts.push(chars[chars.length - 1]! + '</w>');
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = parts[best]!, b = parts[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < parts.length; ) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else {
          next.push(parts[i]!);
          i++;
        }
      }
      parts = next;
    }
    if (this.cache.size < 100_000) this.cache.set(word, parts);
    return parts;
  }

  /** Token ids of a text, without <|startoftext|>/<|endoftext|>. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const w of preTokenize(text)) {
      for (const sym of this.bpe(w)) {
        const id = this.vocab.get(sym);
        if (id === undefined) throw new TokenizerFileError('vocab.json', `BPE produced token ${JSON.stringify(sym)} that is not in the vocabulary (vocab.json and merges.txt do not match)`);
        ids.push(id);
      }
    }
    return ids;
  }

  /**
   * Rows of [sot, tokens..., eot] truncated to contextLength (eot kept, as HF does with
   * truncation) and padded with eot; `eot` holds the index of each row's end-of-text token.
   */
  encodeBatch(texts: readonly string[], contextLength: number): { ids: Int32Array; eot: Int32Array } {
    if (contextLength < 2) throw new RangeError(`contextLength must be at least 2, got ${contextLength}`);
    const ids = new Int32Array(texts.length * contextLength).fill(this.eot);
    const eot = new Int32Array(texts.length);
    texts.forEach((t, r) => {
      const toks = this.encode(t).slice(0, contextLength - 2);
      const o = r * contextLength;
      ids[o] = this.sot;
      for (let i = 0; i < toks.length; i++) ids[o + 1 + i] = toks[i]!;
      ids[o + 1 + toks.length] = this.eot;
      eot[r] = 1 + toks.length;
    });
    return { ids, eot };
  }

  /** Text of token ids (special tokens dropped), as CLIP's decode: `</w>` becomes a space. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const t = this.decoder.get(ids[i]!);
      if (t === undefined || t === START_OF_TEXT || t === END_OF_TEXT) continue;
      s += t;
    }
    const bytes: number[] = [];
    for (const ch of s.replaceAll('</w>', ' ')) {
      const b = UNICODE_TO_BYTE.get(ch);
      if (b !== undefined) bytes.push(b);
      else bytes.push(...UTF8.encode(ch));
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }
}

/** Merge lines of a merges.txt: skips the `#version` header and blank lines. */
export function parseMerges(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith('#version'));
}

/** Serialise merges in merges.txt format (with the `#version: 0.2` header HF CLIP files carry). */
export function formatMerges(merges: readonly string[]): string {
  return `#version: 0.2\n${merges.join('\n')}\n`;
}

/** The smallest vocabulary trainBpe can learn: the 512 byte symbols (with and without `</w>`) and the 2 specials. */
export const MIN_BPE_VOCAB_SIZE = 512 + 2;

/**
 * Learn a CLIP-format byte-level BPE from a corpus: the base vocabulary is the 256 byte symbols
 * and the same with `</w>`, then one token per distinct merge result, then <|startoftext|>,
 * <|endoftext|>: vocabSize = 512 + learned tokens + 2 (fewer if the corpus runs out of pairs). Ties between equally frequent pairs go to the pair seen first
 * (deterministic for a given corpus order).
 */
export function trainBpe(corpus: readonly string[], opts: { readonly vocabSize: number }): { vocab: Record<string, number>; merges: string[] } {
  const numMerges = opts.vocabSize - MIN_BPE_VOCAB_SIZE;
  if (numMerges < 0) throw new RangeError(`vocabSize must be at least ${MIN_BPE_VOCAB_SIZE} (512 byte symbols + 2 specials), got ${opts.vocabSize}`);
  // word -> count, in first-seen order
  const counts = new Map<string, number>();
  for (const line of corpus) {
    for (const w of preTokenize(line)) {
      if (w === START_OF_TEXT || w === END_OF_TEXT) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const words: string[][] = [];
  const freq: number[] = [];
  for (const [w, c] of counts) {
    const chars = Array.from(w);
    chars[chars.length - 1] += '</w>';
    words.push(chars);
    freq.push(c);
  }
  // pair statistics: count and first-seen order, plus which words contain the pair
  const pairCount = new Map<string, number>();
  const pairOrder = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  let order = 0;
  const addWord = (wi: number, sign: 1 | -1): void => {
    const sy = words[wi]!;
    for (let i = 0; i < sy.length - 1; i++) {
      const p = `${sy[i]} ${sy[i + 1]}`;
      pairCount.set(p, (pairCount.get(p) ?? 0) + sign * freq[wi]!);
      if (!pairOrder.has(p)) pairOrder.set(p, order++);
      if (sign > 0) {
        let s = pairWords.get(p);
        if (!s) pairWords.set(p, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addWord(wi, 1);
  const merges: string[] = [];
  const learned = new Set<string>();
  while (learned.size < numMerges) {
    let best: string | undefined;
    let bestC = 0;
    let bestO = Infinity;
    for (const [p, c] of pairCount) {
      if (c > bestC || (c === bestC && c > 0 && pairOrder.get(p)! < bestO)) {
        best = p;
        bestC = c;
        bestO = pairOrder.get(p)!;
      }
    }
    if (best === undefined || bestC <= 0) break;
    merges.push(best);
    learned.add(best.replace(' ', ''));
    const [a, b] = best.split(' ') as [string, string];
    const affected = [...(pairWords.get(best) ?? [])];
    for (const wi of affected) {
      addWord(wi, -1);
      const sy = words[wi]!;
      const next: string[] = [];
      for (let i = 0; i < sy.length; ) {
        if (i < sy.length - 1 && sy[i] === a && sy[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else {
          next.push(sy[i]!);
          i++;
        }
      }
      words[wi] = next;
      addWord(wi, 1);
    }
    pairCount.delete(best);
  }
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const s of BASE_SYMBOLS) vocab[s] = id++;
  for (const s of BASE_SYMBOLS) vocab[s + '</w>'] = id++;
  // two merges can spell the same token ('a bc', 'ab c'): it gets one id, so the vocabulary has
  // exactly vocabSize entries and every id is used
  for (const m of merges) {
    const tok = m.replace(' ', '');
    if (!(tok in vocab)) vocab[tok] = id++;
  }
  vocab[START_OF_TEXT] = id++;
  vocab[END_OF_TEXT] = id++;
  return { vocab, merges };
}
