// Public API of the generic image-classifier fine-tune: ResNet in the HF layout (or a CLIP vision
// tower with a linear head), SGD + cosine training with exact resume, evaluation.
export { parseResNetConfig, makeResNetConfig, withLabels, resnetPlan, resnetTensorShapes, ResNetConfigError, type ResNetConfig } from './resnetConfig.js';
export { ResNetModel, FBW_CONV_OPS, TFJS_CONV_OPS, type ConvOps, initResNet, resetClassifier, forwardResNet, conv2d, maxPool3x3s2, applyBnUpdates, type BnMode, type BnUpdate } from './resnet.js';
export { loadResNet, saveResNet, readResNetConfig, resnetImageSize, writeResNetPreprocessor, ResNetLoadError } from './loadResNet.js';
export { Sgd, cosineAnnealing, type SgdArgs } from './sgd.js';
export { evaluateResNet, evaluateClassifier, ClassifierTaskMismatch, type ResNetEvalResult } from './evaluateResNet.js';
export { finetuneClassifier, fitClassifierToTask, smoothedCrossEntropy, ClassifierArgsError, type ClassifierArgs, type ClassifierProgress, type ClassifierResult } from './finetuneClassifier.js';
export { ClassifierOptimizerState, type ClassifierOptimizer } from './classifierOptimizer.js';
export { TopK, type ClassifierEval, type TopKEntry } from './topK.js';
export { writeClassifierRun } from './writeClassifierRun.js';
export { resnetNet, type ClassifierNet } from './ClassifierNet.js';
export { clipClassifierNet, type ClipClassifierNet } from './clipClassifierNet.js';
