// Generated from the parser by src/syntax/generated.ts: do not edit by hand.
/* eslint-disable */
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  modelDecl?: ModelDeclCstNode[];
  modelsDecl?: ModelsDeclCstNode[];
  datasetDecl?: DatasetDeclCstNode[];
  poolDecl?: PoolDeclCstNode[];
  letStmt?: LetStmtCstNode[];
  reportStmt?: ReportStmtCstNode[];
  pipeline?: PipelineCstNode[];
};

export interface ModelDeclCstNode extends CstNode {
  name: "modelDecl";
  children: ModelDeclCstChildren;
}

export type ModelDeclCstChildren = {
  Model: IToken[];
  Identifier: (IToken)[];
  Equals: IToken[];
  StringLit?: IToken[];
  From?: IToken[];
};

export interface ModelsDeclCstNode extends CstNode {
  name: "modelsDecl";
  children: ModelsDeclCstChildren;
}

export type ModelsDeclCstChildren = {
  Models: IToken[];
  Identifier: (IToken)[];
  From?: IToken[];
  Equals: IToken[];
  modelMap?: ModelMapCstNode[];
};

export interface ModelMapCstNode extends CstNode {
  name: "modelMap";
  children: ModelMapCstChildren;
}

export type ModelMapCstChildren = {
  LBrace: IToken[];
  modelEntry?: ModelEntryCstNode[];
  Comma?: IToken[];
  RBrace: IToken[];
};

export interface ModelEntryCstNode extends CstNode {
  name: "modelEntry";
  children: ModelEntryCstChildren;
}

export type ModelEntryCstChildren = {
  Identifier: IToken[];
  Colon?: IToken[];
  Equals?: IToken[];
  StringLit: IToken[];
};

export interface DatasetDeclCstNode extends CstNode {
  name: "datasetDecl";
  children: DatasetDeclCstChildren;
}

export type DatasetDeclCstChildren = {
  Dataset: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  call: CallCstNode[];
};

export interface PoolDeclCstNode extends CstNode {
  name: "poolDecl";
  children: PoolDeclCstChildren;
}

export type PoolDeclCstChildren = {
  Pool: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  taskList: TaskListCstNode[];
};

export interface LetStmtCstNode extends CstNode {
  name: "letStmt";
  children: LetStmtCstChildren;
}

export type LetStmtCstChildren = {
  Let: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  pipeline: PipelineCstNode[];
};

export interface ReportStmtCstNode extends CstNode {
  name: "reportStmt";
  children: ReportStmtCstChildren;
}

export type ReportStmtCstChildren = {
  Report: IToken[];
  StringLit: IToken[];
};

export interface PipelineCstNode extends CstNode {
  name: "pipeline";
  children: PipelineCstChildren;
}

export type PipelineCstChildren = {
  source: SourceCstNode[];
  step?: StepCstNode[];
};

export interface SourceCstNode extends CstNode {
  name: "source";
  children: SourceCstChildren;
}

export type SourceCstChildren = {
  finetuneSource?: FinetuneSourceCstNode[];
  pretrainSource?: PretrainSourceCstNode[];
  evalSource?: EvalSourceCstNode[];
  refList?: RefListCstNode[];
  Identifier?: IToken[];
};

export interface FinetuneSourceCstNode extends CstNode {
  name: "finetuneSource";
  children: FinetuneSourceCstChildren;
}

export type FinetuneSourceCstChildren = {
  Finetune: IToken[];
  Identifier: IToken[];
  On: IToken[];
  taskList: TaskListCstNode[];
  call?: CallCstNode[];
  device?: DeviceCstNode[];
};

export interface PretrainSourceCstNode extends CstNode {
  name: "pretrainSource";
  children: PretrainSourceCstChildren;
}

export type PretrainSourceCstChildren = {
  Pretrain: IToken[];
  Identifier: IToken[];
  On: IToken[];
  taskList: TaskListCstNode[];
  call?: CallCstNode[];
  device?: DeviceCstNode[];
};

export interface EvalSourceCstNode extends CstNode {
  name: "evalSource";
  children: EvalSourceCstChildren;
}

export type EvalSourceCstChildren = {
  Eval: IToken[];
  Identifier: IToken[];
  On: IToken[];
  taskList: TaskListCstNode[];
  device?: DeviceCstNode[];
};

export interface RefListCstNode extends CstNode {
  name: "refList";
  children: RefListCstChildren;
}

export type RefListCstChildren = {
  LBracket: IToken[];
  Identifier: IToken[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface StepCstNode extends CstNode {
  name: "step";
  children: StepCstChildren;
}

export type StepCstChildren = {
  mergeStep?: MergeStepCstNode[];
  evalStep?: EvalStepCstNode[];
  saveStep?: SaveStepCstNode[];
};

export interface MergeStepCstNode extends CstNode {
  name: "mergeStep";
  children: MergeStepCstChildren;
}

export type MergeStepCstChildren = {
  Then: IToken[];
  call?: CallCstNode[];
  callList?: CallListCstNode[];
  device?: DeviceCstNode[];
};

export interface EvalStepCstNode extends CstNode {
  name: "evalStep";
  children: EvalStepCstChildren;
}

export type EvalStepCstChildren = {
  Arrow: IToken[];
  Eval: IToken[];
  taskList: TaskListCstNode[];
  device?: DeviceCstNode[];
};

export interface SaveStepCstNode extends CstNode {
  name: "saveStep";
  children: SaveStepCstChildren;
}

export type SaveStepCstChildren = {
  Arrow: IToken[];
  Save: IToken[];
  StringLit: IToken[];
};

export interface CallListCstNode extends CstNode {
  name: "callList";
  children: CallListCstChildren;
}

export type CallListCstChildren = {
  LBracket: IToken[];
  call?: CallCstNode[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface CallCstNode extends CstNode {
  name: "call";
  children: CallCstChildren;
}

export type CallCstChildren = {
  Identifier: IToken[];
  LParen?: IToken[];
  arg?: ArgCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface ArgCstNode extends CstNode {
  name: "arg";
  children: ArgCstChildren;
}

export type ArgCstChildren = {
  paramName?: ParamNameCstNode[];
  Equals?: IToken[];
  value: ValueCstNode[];
};

export interface ParamNameCstNode extends CstNode {
  name: "paramName";
  children: ParamNameCstChildren;
}

export type ParamNameCstChildren = {
  Identifier?: IToken[];
  On?: IToken[];
  Save?: IToken[];
  Eval?: IToken[];
  Model?: IToken[];
  Models?: IToken[];
  From?: IToken[];
  Dataset?: IToken[];
  Report?: IToken[];
};

export interface ValueCstNode extends CstNode {
  name: "value";
  children: ValueCstChildren;
}

export type ValueCstChildren = {
  NumberLit?: IToken[];
  StringLit?: IToken[];
  True?: IToken[];
  False?: IToken[];
  Null?: IToken[];
  Identifier?: IToken[];
  list?: ListCstNode[];
  object?: ObjectCstNode[];
};

export interface ListCstNode extends CstNode {
  name: "list";
  children: ListCstChildren;
}

export type ListCstChildren = {
  LBracket: IToken[];
  value?: ValueCstNode[];
  Comma?: IToken[];
  RBracket: IToken[];
};

export interface ObjectCstNode extends CstNode {
  name: "object";
  children: ObjectCstChildren;
}

export type ObjectCstChildren = {
  LBrace: IToken[];
  entry?: EntryCstNode[];
  Comma?: IToken[];
  RBrace: IToken[];
};

export interface EntryCstNode extends CstNode {
  name: "entry";
  children: EntryCstChildren;
}

export type EntryCstChildren = {
  paramName: ParamNameCstNode[];
  Equals?: IToken[];
  Colon?: IToken[];
  value: ValueCstNode[];
};

export interface TaskListCstNode extends CstNode {
  name: "taskList";
  children: TaskListCstChildren;
}

export type TaskListCstChildren = {
  Identifier?: (IToken)[];
  LBracket?: IToken[];
  Comma?: IToken[];
  RBracket?: IToken[];
};

export interface DeviceCstNode extends CstNode {
  name: "device";
  children: DeviceCstChildren;
}

export type DeviceCstChildren = {
  On: IToken[];
  Identifier: IToken[];
  Colon?: IToken[];
  NumberLit?: IToken[];
};
