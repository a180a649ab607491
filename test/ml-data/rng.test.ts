import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeededRng, seededShuffle } from '../../src/ml/data/index.js';

test('seededShuffle is a deterministic permutation that depends on the seed', () => {
  const a = seededShuffle(1000, 42);
  assert.equal(Array.from(a), Array.from(seededShuffle(1000, 42)));
  assert.equal([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.not.equal(Array.from(a), Array.from(seededShuffle(1000, 43)));
  assert.ok(a.some((v, i) => v !== i), 'actually shuffled');
});

test('PRNG state round-trips: restoring it continues the same sequence (checkpoint resume)', () => {
  const r = new SeededRng(7);
  for (let i = 0; i < 10; i++) r.next();
  const state = r.getState();
  const tail = Array.from({ length: 5 }, () => r.nextUint32());
  const q = new SeededRng(0);
  q.setState(JSON.parse(JSON.stringify(state)) as number);
  assert.equal(Array.from({ length: 5 }, () => q.nextUint32()), tail);
});

test('uniform floats fill [0, 1) evenly', () => {
  const r = new SeededRng(1);
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < 10000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    bins[Math.floor(v * 10)]!++;
  }
  assert.ok(bins.every((b) => b > 900 && b < 1100), bins.join(','));
});

test.run();
