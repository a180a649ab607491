// The lexicon of .fbw: keywords before Identifier (with longer_alt) so `model_x` stays a name.
import { createToken, Lexer, type TokenType } from 'chevrotain';

/** Names: letters, digits, `_`, and inner hyphens (clip-tiny, oxford-iiit-pet). */
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/, label: 'a name' });

const kw = (word: string): TokenType => createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(`${word}(?![A-Za-z0-9_]|-[A-Za-z0-9_])`), longer_alt: Identifier, label: `'${word}'` });

// keywords (each with longer_alt: Identifier)
export const Model = kw('model');
export const Models = kw('models');
export const From = kw('from');
export const Dataset = kw('dataset');
export const Pool = kw('pool');
export const Let = kw('let');
export const Report = kw('report');
export const Finetune = kw('finetune');
export const Pretrain = kw('pretrain');
export const Eval = kw('eval');
export const On = kw('on');
export const Then = kw('then');
export const Save = kw('save');
export const True = kw('true');
export const False = kw('false');
export const Null = kw('null');

/** Statement-level keywords, for "unknown keyword" suggestions. */
export const KEYWORDS: readonly string[] = ['model', 'models', 'from', 'dataset', 'pool', 'let', 'report', 'finetune', 'pretrain', 'eval', 'on', 'then', 'save'];
/** Keywords that begin a statement: a newline before them always ends the previous statement. */
export const STATEMENT_KEYWORDS: readonly string[] = ['model', 'models', 'dataset', 'pool', 'let', 'report', 'finetune', 'pretrain', 'eval'];

// punctuation and literals
export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/, label: 'a number' });
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n]|\\.)*"/, label: 'a string' });
/** A string that runs to the end of the line: reported as FBW0003 and dropped, so nothing cascades. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n]|\\.)*/, label: 'unterminated string' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /}/, label: "'}'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });
export const Newline = createToken({ name: 'Newline', pattern: /\r?\n/, label: 'end of line', line_breaks: true });
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: Lexer.SKIPPED });

/** Order matters: keywords before Identifier, Arrow before NumberLit (`-`). */
export const allTokens: readonly TokenType[] = [
  WhiteSpace, Comment, Newline,
  Model, Models, From, Dataset, Pool, Let, Report, Finetune, Pretrain, Eval, On, Then, Save, True, False, Null,
  Identifier, Arrow, NumberLit, StringLit, UnterminatedString,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Equals, Colon, Semicolon,
];

/** The lexer (positions tracked fully: line, column, offsets). */
export const fbwLexer = new Lexer(allTokens as TokenType[], { positionTracking: 'full', ensureOptimizations: false });
