// The grammar of .fbw as an action-free Chevrotain CstParser. One statement is parsed at a time
// (parseWorkflow splits the token stream at top-level line ends), so an error never swallows
// the statements after it; within a statement Chevrotain's recovery reports every error.
import { CstParser, EOF, type IParserErrorMessageProvider, type TokenType, type IToken } from 'chevrotain';
import * as T from './tokens.js';

const show = (t: IToken): string => (t.tokenType === EOF ? 'end of input' : t.tokenType === T.Newline ? 'end of line' : `'${t.image}'`);
const label = (tt: TokenType): string => (tt === EOF ? 'end of statement' : (tt.LABEL ?? tt.name));

/** "expected X or Y" at the first token where the input leaves every path ("after '->'" when it matched a prefix). */
function expectedMessage(paths: readonly (readonly TokenType[])[], actual: readonly IToken[]): string {
  let depth = 0;
  const wanted = new Set<string>();
  for (const p of paths) {
    let i = 0;
    while (i < p.length && i < actual.length && actual[i]!.tokenType === p[i]) i++;
    if (i >= p.length) continue;
    if (i > depth) { depth = i; wanted.clear(); }
    if (i === depth) wanted.add(label(p[i]!));
  }
  const list = [...wanted];
  const alts = list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
  const after = depth > 0 ? ` after '${actual[depth - 1]!.image}'` : '';
  return `expected ${alts}${after}, found ${show(actual[depth] ?? actual[actual.length - 1]!)}`;
}

/** Short messages ("expected ')', found 'on'") instead of Chevrotain's token dumps. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)}, found ${show(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${show(firstRedundant)}: the statement should end here`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) => expectedMessage(expectedPathsPerAlt.flat(), actual),
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) => expectedMessage(expectedIterationPaths, actual),
};

/** The .fbw grammar; rule names appear in the railroad diagram and grammar/fbw.ebnf. */
export class FbwParser extends CstParser {
  constructor() {
    super(T.allTokens as TokenType[], { recoveryEnabled: true, nodeLocationTracking: 'full', maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.modelsDecl) },
      { ALT: () => this.SUBRULE(this.datasetDecl) },
      { ALT: () => this.SUBRULE(this.poolDecl) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.reportStmt) },
      { ALT: () => this.SUBRULE(this.pipeline) },
    ]);
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.OR([{ ALT: () => this.CONSUME(T.StringLit) }, { ALT: () => this.CONSUME2(T.Identifier) }]);
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.CONSUME3(T.Identifier);
    });
  });

  // a pool of already fine-tuned models keyed by task (FusionBench's model pool), or a built-in one
  modelsDecl = this.RULE('modelsDecl', () => {
    this.CONSUME(T.Models);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.CONSUME2(T.Identifier);
    });
    this.CONSUME(T.Equals);
    this.OR([{ ALT: () => this.SUBRULE(this.modelMap) }, { ALT: () => this.CONSUME3(T.Identifier) }]);
  });

  modelMap = this.RULE('modelMap', () => {
    this.CONSUME(T.LBrace);
    // one entry per line reads best; a trailing comma is allowed
    this.MANY(() => {
      this.SUBRULE(this.modelEntry);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  modelEntry = this.RULE('modelEntry', () => {
    this.CONSUME(T.Identifier);
    this.OR([{ ALT: () => this.CONSUME(T.Colon) }, { ALT: () => this.CONSUME(T.Equals) }]);
    this.CONSUME(T.StringLit);
  });

  datasetDecl = this.RULE('datasetDecl', () => {
    this.CONSUME(T.Dataset);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.call);
  });

  poolDecl = this.RULE('poolDecl', () => {
    this.CONSUME(T.Pool);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.taskList);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.pipeline);
  });

  reportStmt = this.RULE('reportStmt', () => {
    this.CONSUME(T.Report);
    this.CONSUME(T.StringLit);
  });

  pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.source);
    this.MANY(() => this.SUBRULE(this.step));
  });

  source = this.RULE('source', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.finetuneSource) },
      { ALT: () => this.SUBRULE(this.pretrainSource) },
      { ALT: () => this.SUBRULE(this.evalSource) },
      { ALT: () => this.SUBRULE(this.refList) },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });

  finetuneSource = this.RULE('finetuneSource', () => {
    this.CONSUME(T.Finetune);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.On);
    this.SUBRULE(this.taskList);
    this.MANY(() => this.SUBRULE(this.call));
    this.OPTION(() => this.SUBRULE(this.device));
  });

  pretrainSource = this.RULE('pretrainSource', () => {
    this.CONSUME(T.Pretrain);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.On);
    this.SUBRULE(this.taskList);
    this.MANY(() => this.SUBRULE(this.call));
    this.OPTION(() => this.SUBRULE(this.device));
  });

  evalSource = this.RULE('evalSource', () => {
    this.CONSUME(T.Eval);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.On);
    this.SUBRULE(this.taskList);
    this.OPTION(() => this.SUBRULE(this.device));
  });

  refList = this.RULE('refList', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
    this.CONSUME(T.RBracket);
  });

  step = this.RULE('step', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.mergeStep) },
      { ALT: () => this.SUBRULE(this.evalStep) },
      { ALT: () => this.SUBRULE(this.saveStep) },
    ]);
  });

  mergeStep = this.RULE('mergeStep', () => {
    this.CONSUME(T.Then);
    this.OR([
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE(this.callList) },
    ]);
    this.OPTION(() => this.SUBRULE(this.device));
  });

  evalStep = this.RULE('evalStep', () => {
    this.CONSUME(T.Arrow);
    this.CONSUME(T.Eval);
    this.SUBRULE(this.taskList);
    this.OPTION(() => this.SUBRULE(this.device));
  });

  saveStep = this.RULE('saveStep', () => {
    this.CONSUME(T.Arrow);
    this.CONSUME(T.Save);
    this.CONSUME(T.StringLit);
  });

  callList = this.RULE('callList', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.call) });
    this.CONSUME(T.RBracket);
  });

  call = this.RULE('call', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
      this.CONSUME(T.RParen);
    });
  });

  arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.SUBRULE(this.paramName);
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.value);
  });

  // a parameter or field name; keywords are allowed here (dare's `on=ties`)
  paramName = this.RULE('paramName', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.On) },
      { ALT: () => this.CONSUME(T.Save) },
      { ALT: () => this.CONSUME(T.Eval) },
      { ALT: () => this.CONSUME(T.Model) },
      { ALT: () => this.CONSUME(T.Models) },
      { ALT: () => this.CONSUME(T.From) },
      { ALT: () => this.CONSUME(T.Dataset) },
      { ALT: () => this.CONSUME(T.Report) },
    ]);
  });

  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.object) },
    ]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(T.RBracket);
  });

  object = this.RULE('object', () => {
    this.CONSUME(T.LBrace);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.entry) });
    this.CONSUME(T.RBrace);
  });

  entry = this.RULE('entry', () => {
    this.SUBRULE(this.paramName);
    this.OR([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Colon) }]);
    this.SUBRULE(this.value);
  });

  taskList = this.RULE('taskList', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  device = this.RULE('device', () => {
    this.CONSUME(T.On);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME(T.NumberLit);
    });
  });
}

/** One shared parser instance: Chevrotain parsers are reusable by resetting `input`. */
export const fbwParser = new FbwParser();
