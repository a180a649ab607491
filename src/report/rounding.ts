// One rounding rule for every report surface: values are stored at a stated precision, and
// each display rounds the stored value half away from zero (34.95 → 35.0, never 34.9 because
// the binary double was 34.949999…), so JSON, Markdown, CSV, HTML and the terminal agree.

/** Decimals kept in report.json (and CSV): accuracy in percent, loss, seconds. */
export const PRECISION = { accuracy: 2, loss: 4, seconds: 2, lr: 8 } as const;

/** Round half away from zero to `digits` decimals, ignoring binary noise below 12 significant digits. */
export function roundHalfAway(v: number, digits: number): number {
  if (!Number.isFinite(v)) return v;
  const scale = 10 ** digits;
  const scaled = Number((Math.abs(v) * scale).toPrecision(12));
  return (Math.sign(v) * Math.round(scaled)) / scale || 0;
}

/** A stored value as display text with `digits` decimals, by the same rule. */
export function fixed(v: number, digits: number): string {
  return roundHalfAway(v, digits).toFixed(digits);
}
