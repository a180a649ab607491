// Where a diagnostic or a compiled stage points in the user's text. Owned by diagnostics/
// (the lowest floor that speaks of source), re-exported by the IR for the phases above.

/** A location in a .fbw source file (1-based line/column, 0-based offsets, end exclusive). */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly endOffset: number;
}
