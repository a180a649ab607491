// Every command fed bad inputs (missing files, folders, binary files, bad flags, corrupt model
// and image files): each answers with one clear line (no stack frame) and its documented exit code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { FBW, fbw, fbwProcess, oneClearError, root, tempDir, writePng, writePngHeaderOnly } from './helpers.js';
import { writeWorkflow } from '../shared/helpers.js';

const dir = tempDir('fbw-bad-');
const tiny = join(root(), 'models', 'clip-tiny');
const png = writePng(join(dir, 'ok.png'));
writeFileSync(join(dir, 'text.png'), 'hello, I am text\n');
writeFileSync(join(dir, 'empty.png'), '');
writeFileSync(join(dir, 'trunc.png'), png.subarray(0, Math.floor(png.length / 2)));
writePngHeaderOnly(join(dir, 'huge.png'), 30000, 30000);
mkdirSync(join(dir, 'folder.png'));
// models: a folder without config.json, a cut safetensors, a config.json that is not JSON
for (const m of ['noconfig', 'trunc', 'badjson']) {
  mkdirSync(join(dir, m));
  for (const f of readdirSync(tiny)) if (!(m === 'noconfig' && f === 'config.json')) copyFileSync(join(tiny, f), join(dir, m, f));
}
writeFileSync(join(dir, 'trunc', 'model.safetensors'), readFileSync(join(tiny, 'model.safetensors')).subarray(0, 700_000));
writeFileSync(join(dir, 'badjson', 'config.json'), '{ not json');
// workflows
writeFileSync(join(dir, 'binary.fbw'), randomBytes(4096));
writeFileSync(join(dir, 'latin1.fbw'), Buffer.from('eval clip-tiny on [caf\xe9]\n', 'latin1'));
writeWorkflow(dir, 'eval clip-tiny on [synth_shapes]\n', 'ok.fbw');
writeWorkflow(dir, 'eval clip-tiny on [mnsit]\n', 'typo.fbw');
writeFileSync(join(dir, 'many.fbw'), Array.from({ length: 400 }, (_, i) => `eval clip-tiny on [nosuch${i}]\n`).join(''));

/** [args, exit code, what stderr must say] */
const CASES: readonly (readonly [string, number, RegExp])[] = [
  // predict: bad images (each named, plain words), bad models, bad arguments
  ['predict clip-tiny nosuch.png --labels a,b', 1, /nosuch\.png: no such file/],
  ['predict clip-tiny text.png --labels a,b', 1, /text\.png: not a PNG or JPEG image/],
  ['predict clip-tiny empty.png --labels a,b', 1, /empty\.png: empty file/],
  ['predict clip-tiny trunc.png --labels a,b', 1, /trunc\.png: truncated PNG image/],
  ['predict clip-tiny folder.png --labels a,b', 1, /folder\.png: is a folder/],
  ['predict clip-tiny huge.png --labels a,b', 1, /huge\.png: image is 30000×30000 .*refusing to decode/],
  ['predict nosuchmodel ok.png --labels a,b', 1, /nosuchmodel: no such model/],
  ['predict tiny-clip ok.png --labels a,b', 1, /did you mean 'clip-tiny'/],
  ['predict noconfig ok.png --labels a,b', 1, /noconfig: no config\.json/],
  ['predict trunc ok.png --labels a,b', 1, /trunc\/model\.safetensors: .*truncated/],
  ['predict badjson ok.png --labels a,b', 1, /badjson\/config\.json: .*JSON/],
  ['predict clip-tiny ok.png --dataset mnsit', 2, /unknown dataset 'mnsit' — did you mean 'mnist'/],
  ['predict clip-tiny ok.png --labels a,b --top abc', 2, /--top expects a whole number/],
  ['predict clip-tiny ok.png --labels a,b --top 0', 2, /--top expects a whole number/],
  ['predict clip-tiny ok.png --labels a,b --dataset mnist', 2, /alternatives/],
  ['predict clip-tiny ok.png --labels a,b --template nope', 2, /no \{\}/],
  ['predict clip-tiny ok.png --labels a,a,b', 2, /'a' twice/],
  ['predict clip-tiny ok.png', 2, /--labels a,b,c or --dataset/],
  ['predict clip-tiny ok.png --labels a,b --nosuch', 2, /unknown option '--nosuch'/],
  // check / graph / plan / run / why on files that are not workflows
  ['check binary.fbw', 1, /binary\.fbw: not a text file \(it contains NUL bytes\)/],
  ['check latin1.fbw', 1, /latin1\.fbw: not a text file \(it is not valid UTF-8\)/],
  ['check nosuch.fbw', 2, /nosuch\.fbw: cannot read it: no such file or folder/],
  ['check .', 2, /\.: is a folder/],
  ['check', 2, /no file given/],
  ['graph binary.fbw', 1, /not a text file/],
  ['graph nosuch.fbw', 2, /no such file/],
  ['plan binary.fbw', 1, /fbw plan: binary\.fbw: not a text file/],
  ['plan nosuch.fbw', 2, /fbw plan: nosuch\.fbw: cannot read it: no such file/],
  ['run binary.fbw', 1, /fbw run: binary\.fbw: not a text file/],
  ['run nosuch.fbw', 2, /fbw run: nosuch\.fbw: cannot read it/],
  ['run ok.fbw --devices banana', 2, /devices/],
  ['why binary.fbw x', 1, /not a text file/],
  ['why nosuch.fbw x', 2, /no such file/],
];

for (const [line, code, says] of CASES) {
  test(`fbw ${line} → exit ${code}, one clear line`, async () => {
    const r = await fbw(line.split(' '), dir);
    assert.is(r.code, code, `exit code; stderr: ${r.err}`);
    assert.is(oneClearError(r), undefined, `${r.out}${r.err}`);
    assert.match(r.err, says);
    assert.not.match(r.err, /\b(ENOENT|EISDIR|EACCES)\b|waitng|taskNames\(\)/, 'no errno codes or library wording');
  });
}

test('predict: one bad image among good ones is one line; the others are still classified, exit 1', async () => {
  const r = await fbw(['predict', 'clip-tiny', 'ok.png', 'text.png', 'ok.png', '--labels', 'red,green', '--top', '1'], dir);
  assert.is(r.code, 1);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { image: string; labels: string[] });
  assert.equal(lines.map((l) => l.image), ['ok.png', 'ok.png']);
  assert.ok(lines.every((l) => l.labels.length === 1));
  assert.match(r.err, /text\.png: not a PNG/);
  assert.match(r.err, /1 of 3 images could not be read/);
});

test('predict: the built-in name clip-tiny and --top K', async () => {
  const r = await fbw(['predict', 'clip-tiny', 'ok.png', '--dataset', 'mnist', '--top=3'], dir);
  assert.is(r.code, 0, r.err);
  assert.is((JSON.parse(r.out) as { labels: string[] }).labels.length, 3);
});

test('check: a binary file is one error, fast (no echo of raw bytes)', async () => {
  const r = await fbw(['check', join(tiny, 'model.safetensors')], dir);
  assert.is(r.code, 1);
  assert.is(r.out, '');
  assert.is(r.err.trim().split('\n').length, 1);
});

test('check: errors per file are capped with a count of the rest', async () => {
  const r = await fbw(['check', 'many.fbw'], dir);
  assert.is(r.code, 1);
  assert.is((r.out.match(/error FBW/g) ?? []).length, 50);
  assert.match(r.out, /… and 350 more/);
  assert.match(r.out, /400 errors/);
});

test('check: several files are all checked; the exit code is the worst; missing files say so in words', async () => {
  const r = await fbw(['check', 'typo.fbw', 'nosuch.fbw', 'ok.fbw'], dir);
  assert.is(r.code, 2);
  assert.match(r.out, /typo\.fbw:1:\d+: error/);
  assert.match(r.out, /ok\.fbw: ok/);
  assert.match(r.err, /nosuch\.fbw: cannot read it: no such file or folder/);
  const r2 = await fbw(['check', 'typo.fbw', 'ok.fbw'], dir);
  assert.is(r2.code, 1);
});

// the run-management commands, with a store holding one real run (a merge of two tiny CLIPs)
const env = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };
const proj = tempDir('fbw-bad-store-');
const elsewhere = tempDir('fbw-bad-nostore-');
const STORE_CASES: readonly (readonly [string, number, RegExp])[] = [
  ['runs --last 0', 2, /--last expects a whole number/],
  ['runs --last abc', 2, /--last expects a whole number/],
  ['runs --bogus', 2, /unknown option '--bogus'/],
  ['runs a.fbw b.fbw', 2, /at most one workflow FILE/],
  ['show nosuchrun', 1, /no run 'nosuchrun'/],
  ['show', 2, /missing RUN/],
  ['show last --store /nonexistent-fbw-store', 1, /no fbw store at/],
  ['logs last nosuchstage', 1, /has no stage 'nosuchstage'/],
  ['logs nosuchrun merge.ta', 1, /no run 'nosuchrun'/],
  ['logs', 2, /missing RUN and STAGE/],
  ['open nosuchrun', 1, /no run 'nosuchrun'/],
  ['open last', 1, /has no html report/],
  ['open last --format yaml', 2, /unknown format 'yaml'/],
  ['replay nosuchrun', 1, /no run 'nosuchrun'/],
  ['replay last --stage nosuch', 1, /has no stage 'nosuch'/],
  ['replay last', 1, /no failed stage; name one with --stage/],
  ['replay', 2, /expected one RUN/],
  ['gc --keep-runs abc', 2, /--keep-runs expects a whole number/],
  ['why g.json nosuch', 1, /no stage 'nosuch'/],
  ['why g.json', 2, /expected FILE and STAGE/],
  ['plan g.json --bogus', 2, /unknown option/],
  ['graph ok.fbw --format yaml', 2, /--format must be one of/],
  ['doctor --bogus', 2, /unknown option '--bogus'/],
  ['chek x.fbw', 2, /unknown command 'chek' — did you mean 'check'/],
  ['merge average --base nosuch-base --models a b -o out', 1, /nosuch-base/],
  ['merge average --base binary.fbw --models binary.fbw binary.fbw -o out', 1, /binary\.fbw/],
  ['merge', 2, /./],
];
const NO_STORE_CASES: readonly (readonly [string, RegExp])[] = [
  ['runs', /no fbw store found/], ['show last', /no fbw store found/], ['logs last x', /no fbw store found/],
  ['open last', /no fbw store found/], ['replay last', /no fbw store found/], ['gc', /no fbw store found/],
];

test('a store with one run for the run-management cases', async () => {
  const { makeTinyClip } = await import('../scheduler/tinyClip.js');
  const { pretrained, stage } = await import('../scheduler/helpers.js');
  const a = await makeTinyClip(join(proj, 'a'), 1), b = await makeTinyClip(join(proj, 'b'), 2);
  writeFileSync(join(proj, 'g.json'), JSON.stringify({ stages: [pretrained('model.a', a), pretrained('model.b', b),
    stage('merge.ta', 'merge', 'task_arithmetic', { scaling_factor: 0.3 }, [{ stage: 'model.a', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }])] }));
  writeWorkflow(proj, 'eval clip-tiny on [synth_shapes]\n', 'ok.fbw');
  writeFileSync(join(proj, 'binary.fbw'), randomBytes(4096));
  const r = await fbw(['run', 'g.json', '--json'], proj, env);
  assert.is(r.code, 0, r.err);
});

for (const [line, code, says] of STORE_CASES) {
  test(`fbw ${line} → exit ${code}, one clear line`, async () => {
    const r = await fbw(line.split(' '), proj, env);
    assert.is(r.code, code, `exit code; stderr: ${r.err}`);
    assert.is(oneClearError(r), undefined, `${r.out}${r.err}`);
    assert.match(r.err, says);
  });
}

for (const [line, says] of NO_STORE_CASES) {
  test(`fbw ${line} where there is no store → exit 1, says where it looked`, async () => {
    const r = await fbw(line.split(' '), elsewhere, env);
    assert.is(r.code, 1, r.err);
    assert.is(oneClearError(r), undefined, r.err);
    assert.match(r.err, says);
  });
}

// the pre-stop hook's own list, as real processes (Node prints uncaught errors with frames itself)
const HOOK: readonly (readonly [string, number])[] = [
  ['predict clip-tiny /tmp/nosuch-fbw-image.png --labels a,b', 1],
  ['predict clip-tiny text.png --labels a,b', 1],
  ['predict /tmp/nomodel-fbw ok.png --labels a,b', 1],
  ['check binary.fbw', 1],
  ['merge average --base /tmp/no-fbw-base --models /tmp/no-fbw-a /tmp/no-fbw-b -o /tmp/no-fbw-out', 1],
];
for (const [line, code] of HOOK) {
  test(`real process: fbw ${line}`, () => {
    const r = fbwProcess(line.split(' '), dir);
    assert.is(r.code, code, r.err);
    assert.is(oneClearError(r), undefined, r.err);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

test('EPIPE: a closed stdout ends the command quietly, exit 0 (a real pipe into head)', () => {
  // outputs larger than a pipe's 64 KiB buffer, so the writer is still writing when head exits
  writeFileSync(join(dir, 'big.fbw'), 'finetune clip-tiny on LOCAL_QUICK full(num_steps=50)\n'
    + `  then [average, ties(scaling_factor=[${Array.from({ length: 10 }, (_, i) => (i + 1) / 10).join(', ')}], threshold=[${Array.from({ length: 10 }, (_, i) => (i + 1) * 9).join(', ')}])]\n  -> eval LOCAL_QUICK\n`);
  for (const cmd of ['plan big.fbw --json', 'plan big.fbw', `check ${Array(30).fill('many.fbw').join(' ')}`]) {
    const sh = execFileSync('bash', ['-c', `node '${FBW()}' ${cmd} 2>err.txt | head -c 1 > /dev/null; echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8' });
    assert.match(sh, /status=0/, cmd);
    assert.is(readFileSync(join(dir, 'err.txt'), 'utf8'), '', cmd);
  }
});

test.run();
