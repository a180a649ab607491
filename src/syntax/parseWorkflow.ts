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
const DECLARES = new Set([T.Model, T.Models, T.Dataset, T.Pool, T.Let]);

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
      // a line ending with `then` or `->`, or the next starting with one, continues the statement
      const last = cur[cur.length - 1];
      const dangling = last !== undefined && (last.tokenType === T.Then || last.tokenType === T.Arrow);
      const continues = next !== undefined && (dangling || next.tokenType === T.Then || next.tokenType === T.Arrow);
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
  const lexical: Diagnostic[] = lexed.errors.map((e) => badCharacter(text, file, e.offset, Math.max(1, e.length), e.line ?? 1, e.column ?? 1));
  const tokens = lexed.tokens.filter((t) => {
    if (t.tokenType !== T.UnterminatedString) return true;
    diagnostics.push(error('FBW0003', tokenSpan(file, t), 'unterminated string', 'close the string with " on the same line'));
    return false;
  });
  const bad = [...lexed.errors.map((e) => ({ offset: e.offset, line: e.line ?? 0 })), ...lexed.tokens.filter((t) => t.tokenType === T.UnterminatedString).map((t) => ({ offset: t.startOffset, line: t.startLine ?? 0 }))];
  // `report results/x`: one diagnostic for the missing quotes, not one per character of the path
  const unquotedReports: { from: number; line: number }[] = [];
  for (const toks of splitStatements(tokens)) {
    const [first, second] = toks;
    if (first?.tokenType !== T.Report || second === undefined || second.tokenType === T.StringLit) continue;
    // the folder as typed: from after `report` to the end of the line (a lexer error may have eaten its first character)
    let at = (first.endOffset ?? first.startOffset) + 1;
    while (text[at] === ' ' || text[at] === '\t') at++;
    const lineEnd = text.indexOf('\n', at);
    const rest = text.slice(at, lineEnd < 0 ? text.length : lineEnd).replace(/\s*(#.*)?\r?$/, '');
    const span: Span = { file, line: first.startLine ?? 1, column: (first.startColumn ?? 1) + (at - first.startOffset), offset: at, endOffset: at + Math.max(1, rest.length) };
    const curly = LOOKALIKES[rest[0] ?? ''];
    const folder = rest.replace(/^["\u201C\u201D\u201E\u2018\u2019']|["\u201C\u201D\u201E\u2018\u2019']$/g, '');
    if (curly) diagnostics.push(error('FBW0003', span, `the report folder is quoted with '${rest[0]}' (${curly.name})`, `write report "${folder}" with ASCII double quotes`));
    else diagnostics.push(error('FBW0001', span, 'report needs a quoted folder', `write report "${folder}"`));
    unquotedReports.push({ from: first.startOffset, line: first.startLine ?? 0 });
  }
  diagnostics.push(...lexical.filter((d) => !unquotedReports.some((r) => r.line === d.span.line)));
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
    if (unquotedReports.some((r) => r.from === from)) continue;
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
    // `... then average eval TA8`: the arrow before a pipeline's eval/save step is missing
    if (!atEnd && idx > 0 && (t.tokenType === T.Eval || t.tokenType === T.Save) && toks[idx - 1]!.tokenType !== T.Arrow) {
      out.push(error('FBW0001', span, `unexpected '${t.image}'`, `did you mean '-> ${t.image}'? a pipeline's ${t.image} step starts with ->`));
      break;
    }
    const found = atEnd ? 'the statement ends too early' : `unexpected '${t.image}'`;
    const expected = /^(expected .*?)(, found .*)?$/.exec(e.message)?.[1];
    out.push(error('FBW0001', span, found, expected ?? 'the statement should end before it: one statement per line, or separate them with ;'));
  }
  return out;
}

/**
 * Characters that look like fbw's ASCII punctuation (pasted from a paper, a chat or a word
 * processor): the diagnostic names the character and the ASCII to type instead, as rustc does.
 */
export const LOOKALIKES: { readonly [ch: string]: { readonly name: string; readonly ascii: string } } = {
  '\u2192': { name: 'RIGHTWARDS ARROW', ascii: '->' },
  '\u21D2': { name: 'RIGHTWARDS DOUBLE ARROW', ascii: '->' },
  '\u27F6': { name: 'LONG RIGHTWARDS ARROW', ascii: '->' },
  '\u2010': { name: 'HYPHEN', ascii: '-' },
  '\u2011': { name: 'NON-BREAKING HYPHEN', ascii: '-' },
  '\u2012': { name: 'FIGURE DASH', ascii: '-' },
  '\u2013': { name: 'EN DASH', ascii: '-' },
  '\u2014': { name: 'EM DASH', ascii: '-' },
  '\u2212': { name: 'MINUS SIGN', ascii: '-' },
  '\u201C': { name: 'LEFT DOUBLE QUOTATION MARK', ascii: '"' },
  '\u201D': { name: 'RIGHT DOUBLE QUOTATION MARK', ascii: '"' },
  '\u201E': { name: 'DOUBLE LOW-9 QUOTATION MARK', ascii: '"' },
  '\u2018': { name: 'LEFT SINGLE QUOTATION MARK', ascii: '"' },
  '\u2019': { name: 'RIGHT SINGLE QUOTATION MARK', ascii: '"' },
  "'": { name: 'APOSTROPHE', ascii: '"' },
  '\u00A0': { name: 'NO-BREAK SPACE', ascii: ' ' },
  '\u202F': { name: 'NARROW NO-BREAK SPACE', ascii: ' ' },
  '\u200B': { name: 'ZERO WIDTH SPACE', ascii: '' },
  '\uFEFF': { name: 'ZERO WIDTH NO-BREAK SPACE (BOM)', ascii: '' },
  '\uFF1D': { name: 'FULLWIDTH EQUALS SIGN', ascii: '=' },
  '\uFF0C': { name: 'FULLWIDTH COMMA', ascii: ',' },
  '\uFF08': { name: 'FULLWIDTH LEFT PARENTHESIS', ascii: '(' },
  '\uFF09': { name: 'FULLWIDTH RIGHT PARENTHESIS', ascii: ')' },
  '\u00D7': { name: 'MULTIPLICATION SIGN', ascii: 'x' },
};

/** The FBW0003 diagnostic for a character the lexer cannot read, naming look-alikes of ASCII. */
function badCharacter(text: string, file: string, offset: number, length: number, line: number, column: number): Diagnostic {
  const ch = String.fromCodePoint(text.codePointAt(offset) ?? 0x3f);
  const span: Span = { file, line, column, offset, endOffset: offset + length };
  // `=>` (an arrow from another language): '=' lexed fine, '>' did not
  if (ch === '>' && text[offset - 1] === '=') {
    return error('FBW0003', { ...span, column: column - 1, offset: offset - 1 }, "unexpected '=>'", "did you mean '->'? fbw's arrow is a hyphen and '>'");
  }
  const look = LOOKALIKES[ch];
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (look) {
    const instead = look.ascii === '' ? 'delete it (it is invisible)' : look.ascii === ' ' ? 'type an ordinary space' : `type the ASCII '${look.ascii}'`;
    return error('FBW0003', span, `unexpected character '${ch}' (${code} ${look.name})`, `it looks like '${look.ascii || '(nothing)'}' but is not: ${instead}`);
  }
  if (ch === '/' || ch === '.') return error('FBW0003', span, `unexpected character '${ch}'`, 'a path or file name must be in "double quotes"');
  const shown = /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch) ? `'${ch}'` : `'${ch}' (${code})`;
  return error('FBW0003', span, `unexpected character ${shown}`, 'names use letters, digits, _ and -; strings use "double quotes"; comments start with #');
}
