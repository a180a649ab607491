import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer, TokenizerFileError, cleanText, formatMerges, trainBpe } from '../../src/ml/text/tokenizer.js';
import { SYNTHETIC_TASKS } from '../../src/ml/data/index.js';

// A small vocabulary with the real openai/clip-vit-base-patch32 ids of a few words (ids from
// published CLIP tokenizations) and merge chains that build exactly those words.
const REAL_IDS: Readonly<Record<string, number>> = {
  'photo</w>': 1125, 'of</w>': 539, 'cat</w>': 2368, 'tree</w>': 2677, 'it</w>': 585, "'s</w>": 568, 'toy</w>': 5988,
  'running</w>': 2761, 'fast</w>': 1953, 'dogs</w>': 3255, 'and</w>': 537, 'cats</w>': 3989, 'dog</w>': 1929, 'on</w>': 525, 'beach</w>': 2117,
};

function realishTokenizer(): ClipTokenizer {
  const base = trainBpe([], { vocabSize: 514 }).vocab; // the 512 byte symbols in CLIP's order (+ specials)
  const vocab: Record<string, number> = {};
  for (const [k, v] of Object.entries(base)) if (v < 512) vocab[k] = v;
  Object.assign(vocab, REAL_IDS, { '<|startoftext|>': 49406, '<|endoftext|>': 49407 });
  const merges: string[] = [];
  for (const word of Object.keys(REAL_IDS)) {
    const chars = Array.from(word.replace('</w>', ''));
    let cur = chars[0]!;
    for (let i = 1; i < chars.length; i++) {
      const next = i === chars.length - 1 ? chars[i]! + '</w>' : chars[i]!;
      const m = `${cur} ${next}`;
      if (!merges.includes(m)) merges.push(m);
      cur += next;
    }
  }
  return ClipTokenizer.fromData(vocab, merges);
}

const tok = realishTokenizer();
const enc = (s: string): number[] => [tok.sot, ...tok.encode(s), tok.eot];

test('gives the ids of HF/OpenAI CLIP for known texts', () => {
  assert.equal(enc('a photo of a cat'), [49406, 320, 1125, 539, 320, 2368, 49407]);
  assert.equal(enc('a photo of a tree'), [49406, 320, 1125, 539, 320, 2677, 49407]);
  assert.equal(enc('A Photo of a TREE!'), [49406, 320, 1125, 539, 320, 2677, 256, 49407]);
  assert.equal(enc("it's a cat's toy, running   fast"), [49406, 585, 568, 320, 2368, 568, 5988, 267, 2761, 1953, 49407]);
  assert.equal(enc('2 dogs and 3 cats'), [49406, 273, 3255, 537, 274, 3989, 49407]);
  assert.equal(enc('dog on a beach'), [49406, 1929, 525, 320, 2117, 49407]);
});

test('cleans text as CLIP does (html entities, whitespace, case)', () => {
  assert.is(cleanText('  A&amp;B \n\t Cat  '), 'a&b cat');
  assert.equal(tok.encode('  A   PHOTO\nof a  cat '), tok.encode('a photo of a cat'));
});

test('encodeBatch pads with <|endoftext|>, reports its index, truncates keeping it', () => {
  const { ids, eot } = tok.encodeBatch(['a photo of a cat', 'dog', 'a photo of a dog on a beach'], 6);
  assert.equal(Array.from(ids.subarray(0, 6)), [49406, 320, 1125, 539, 320, 49407]);
  assert.equal(Array.from(ids.subarray(6, 12)), [49406, 1929, 49407, 49407, 49407, 49407]);
  assert.equal(Array.from(eot), [5, 2, 5]);
  assert.is(ids[17], 49407);
});

test('decode inverts encode', () => {
  assert.is(tok.decode(enc("it's a cat's toy, running fast")), "it 's a cat 's toy , running fast");
});

test('a merge missing from the vocabulary is a clear error', () => {
  const t = ClipTokenizer.fromData({ '<|startoftext|>': 0, '<|endoftext|>': 1 }, []);
  assert.throws(() => t.encode('cat'), (e: unknown) => e instanceof TokenizerFileError && /not in the vocabulary/.test((e as Error).message));
});

const corpus = SYNTHETIC_TASKS.flatMap((t) => t.classnames.flatMap((c) => t.templates.map((tp) => tp.replace('{}', c))));

test('trainBpe learns a CLIP-format vocabulary that round-trips through files', async () => {
  const a = trainBpe(corpus, { vocabSize: 700 });
  const b = trainBpe(corpus, { vocabSize: 700 });
  assert.equal(a, b, 'deterministic');
  assert.is(Object.keys(a.vocab).length, 700);
  assert.is(a.vocab['<|startoftext|>'], 698);
  assert.is(a.vocab['<|endoftext|>'], 699);
  assert.ok('photo</w>' in a.vocab, 'a frequent word becomes one token');
  const dir = mkdtempSync(join(tmpdir(), 'fbw-bpe-'));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(a.vocab));
  writeFileSync(join(dir, 'merges.txt'), formatMerges(a.merges));
  const t = await ClipTokenizer.fromFiles(join(dir, 'vocab.json'), join(dir, 'merges.txt'));
  assert.is(t.vocabSize, 700);
  for (const line of [...corpus, 'An UNSEEN sentence, with Ünïcode ☃ and digits 42!']) {
    const ids = t.encode(line);
    assert.ok(ids.every((i) => i >= 0 && i < 700));
    assert.is(t.decode(ids).replace(/\s+/g, ''), cleanText(line).replace(/\s+/g, ''));
  }
  // 'flag' is in every synth_flags caption (a class name like 'circle' is in only a few)
  assert.is(t.encode('a photo of a flag.').length, 6, 'frequent words are single tokens: a photo of a flag .');
});

test('fromFiles names the missing file', async () => {
  try {
    await ClipTokenizer.fromFiles('/nonexistent/vocab.json', '/nonexistent/merges.txt');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TokenizerFileError);
    assert.match((e as Error).message, '/nonexistent/vocab.json');
  }
});

test.run();
