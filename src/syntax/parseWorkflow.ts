// Text -> AST plus every syntax error. The token stream is cut into statements at top-level line
// ends (a line starting with `then` or `->` continues the statement above; line ends inside
// brackets are ignored), and each statement is parsed on its own, so one error never hides the next.
import type { IToken, IRecognitionException } from 'chevrotain';
import { error, sortDiagnostics, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../util/suggest.js';
import type * as A from './ast.js';
import type { StatementCstNode } from './cst.js';
import { CstToAst, tokenSpan } from './cstToAst.js';
import { fbwParser } from './parser.js';
import * as T from './tokens.js';

/** The AST (statements that parsed) and every lexical and syntax diagnostic. */
export interface ParseResult {
  readonly ast: A.Program;
  readonly diagnostics: readonly Diagnostic[];
}

const OPEN = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSE = new Set([T.RParen, T.RBracket, T.RBrace]);
const DECLARES = new Set([T.Model, T.Dataset, T.Pool, T.Let]);

/** Split tokens into statements (Newline and Semicolon tokens removed). */
function splitStatements(tokens: readonly IToken[]): IToken[][] {
  const out: IToken[][] = [];
  let cur: IToken[] = [];
  let depth = 0;
  const flush = (): void => { if (cur.length) out.push(cur); cur = []; depth = 0; };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.tokenType === T.Newline || t.tokenType === T.Semicolon) {
      let j = i + 1;
      while (j < tokens.length && tokens[j]!.tokenType === T.Newline) j++;
      const next = tokens[j];
      const continues = next !== undefined && (next.tokenType === T.Then || next.tokenType === T.Arrow);
      // inside brackets a line end is layout, unless the next line clearly starts a new statement
      const inside = depth > 0 && !(next && next.startColumn === 1 && !CLOSE.has(next.tokenType));
      if (t.tokenType === T.Semicolon || (!continues && !inside)) flush();
      continue;
    }
    if (OPEN.has(t.tokenType)) depth++;
    else if (CLOSE.has(t.tokenType)) depth = Math.max(0, depth - 1);
    cur.push(t);
  }
  flush();
  return out;
}

/** Parse one .fbw file; never throws on bad input. */
export function parseWorkflow(text: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = T.fbwLexer.tokenize(text);
  for (const e of lexed.errors) {
    const span: Span = { file, line: e.line ?? 1, column: e.column ?? 1, offset: e.offset, endOffset: e.offset + Math.max(1, e.length) };
    diagnostics.push(error('FBW0003', span, `unexpected character '${text.slice(e.offset, e.offset + e.length)}'`, 'names use letters, digits, _ and -; strings use "double quotes"; comments start with #'));
  }
  const tokens = lexed.tokens.filter((t) => {
    if (t.tokenType !== T.UnterminatedString) return true;
    diagnostics.push(error('FBW0003', tokenSpan(file, t), 'unterminated string', 'close the string with " on the same line'));
    return false;
  });
  const bad = [...lexed.errors.map((e) => ({ offset: e.offset, line: e.line ?? 0 })), ...lexed.tokens.filter((t) => t.tokenType === T.UnterminatedString).map((t) => ({ offset: t.startOffset, line: t.startLine ?? 0 }))];
  const toAst = new CstToAst(file);
  const statements: A.Statement[] = [];
  const broken: A.Name[] = [];
  for (const toks of splitStatements(tokens)) {
    fbwParser.input = toks;
    const cst = fbwParser.statement() as StatementCstNode;
    const errs = fbwParser.errors;
    if (errs.length === 0) {
      statements.push(toAst.statement(cst));
      continue;
    }
    const from = toks[0]!.startOffset, lastLine = toks[toks.length - 1]!.endLine ?? 0;
    // a lexer error inside this statement already explains it; parse errors would only echo it
    if (!bad.some((e) => e.offset >= from && e.line <= lastLine)) diagnostics.push(...syntaxDiagnostics(errs, toks, file));
    const [first, second] = toks;
    if (first && second && DECLARES.has(first.tokenType) && second.tokenType === T.Identifier) broken.push({ text: second.image, span: tokenSpan(file, second) });
  }
  return { ast: { file, statements, broken }, diagnostics: sortDiagnostics(diagnostics) };
}

function syntaxDiagnostics(errs: readonly IRecognitionException[], toks: readonly IToken[], file: string): Diagnostic[] {
  const first = toks[0]!;
  const last = toks[toks.length - 1]!;
  // `finetun clip on ...`: the statement starts with a mistyped keyword; one diagnostic says so
  if (first.tokenType === T.Identifier) {
    const kw = didYouMean(first.image, T.STATEMENT_KEYWORDS);
    if (kw) return [error('FBW0002', tokenSpan(file, first), `unknown keyword '${first.image}'`, `did you mean '${kw}'?`)];
  }
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  let prev = -2;
  for (const e of errs) {
    const t = e.token;
    // an error on the token right after the previous one is that error's echo (recovery resynchronising)
    const idx = toks.indexOf(t);
    if (idx >= 0 && idx === prev + 1) { prev = idx; continue; }
    if (idx >= 0) prev = idx;
    const atEnd = t.tokenType.name === 'EOF' || Number.isNaN(t.startOffset);
    const span: Span = atEnd
      ? { file, line: last.endLine ?? last.startLine ?? 1, column: (last.endColumn ?? last.startColumn ?? 0) + 1, offset: (last.endOffset ?? last.startOffset) + 1, endOffset: (last.endOffset ?? last.startOffset) + 2 }
      : tokenSpan(file, t);
    if (seen.has(span.offset)) continue;
    seen.add(span.offset);
    if (!atEnd && t.tokenType === T.Identifier) {
      // suggest only keywords the parser could have taken here (a statement may always continue with then / ->)
      const allowed = T.KEYWORDS.filter((k) => e.message.includes(`'${k}'`) || (k === 'then' && e.name === 'NotAllInputParsedException'));
      const kw = didYouMean(t.image, allowed);
      // the rest of the statement is noise after a mistyped keyword
      if (kw && kw !== t.image) { out.push(error('FBW0002', span, `unknown keyword '${t.image}'`, `did you mean '${kw}'?`)); break; }
    }
    const found = atEnd ? 'the statement ends too early' : `unexpected '${t.image}'`;
    const expected = /^(expected .*?)(, found .*)?$/.exec(e.message)?.[1];
    out.push(error('FBW0001', span, found, expected ?? 'the statement should end before it: one statement per line, or separate them with ;'));
  }
  return out;
}
