// "Did you mean ...?" for every name a user can mistype: keywords, datasets, models,
// methods, CLI commands and flags. One implementation so all hints read the same.

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => { const r = new Array<number>(n + 1).fill(0); r[0] = i; return r; });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/** The closest candidate within a distance that scales with the word's length, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const dist = cl.startsWith(w) && w.length >= 3 ? 0.5 : sameParts(w, cl) ? 1 : editDistance(w, cl);
    if (dist < bestD || (dist === bestD && best !== undefined && c < best)) { best = c; bestD = dist; }
  }
  return bestD <= limit ? best : undefined;
}

/** The same hyphen/underscore-separated words in another order ('tiny-clip' for 'clip-tiny'). */
function sameParts(a: string, b: string): boolean {
  const split = (s: string) => s.split(/[-_]/).sort().join('-');
  return a !== b && /[-_]/.test(a) && split(a) === split(b);
}
