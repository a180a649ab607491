// Public API of the generic (non-CLIP) image-classifier fine-tune: ResNet in the HF layout,
// SGD + cosine training with exact resume, evaluation.
export { parseResNetConfig, makeResNetConfig, withLabels, resnetPlan, resnetTensorShapes, ResNetConfigError, type ResNetConfig } from './resnetConfig.js';
export { ResNetModel, initResNet, resetClassifier, forwardResNet, conv2d, maxPool3x3s2, applyBnUpdates, type BnMode, type BnUpdate } from './resnet.js';
export { loadResNet, saveResNet, readResNetConfig, resnetImageSize, writeResNetPreprocessor, ResNetLoadError } from './loadResNet.js';
export { Sgd, cosineAnnealing, type SgdArgs } from './sgd.js';
export { evaluateResNet, ClassifierTaskMismatch, type ResNetEvalResult } from './evaluateResNet.js';
export {
  finetuneClassifier, fitClassifierToTask, smoothedCrossEntropy, ClassifierArgsError, ClassifierInterrupted,
  type ClassifierArgs, type ClassifierOptimizer, type ClassifierEval, type ClassifierResult, type TopKEntry,
} from './finetuneClassifier.js';
export { writeClassifierRun } from './writeClassifierRun.js';
