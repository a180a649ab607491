// How every surface spells a duration (the live view, `fbw show`, the reports), kept below both
// ui/ and report/ so neither reaches into the other.

/** Human duration: 0.4s, 12.3s, 4m05s, 2h03m (why: compact, fixed-ish width for columns). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
