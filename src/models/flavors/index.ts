/** The flavors Hangar runs (`hangar.tabular`, `onnx`) and loading a package into a predictor. */
export { FLAVORS, RUNNABLE_FLAVORS, pickFlavor, loadedModel, loadModelFromDir, type LoadedModel } from './load.js';
export { TABULAR_FLAVOR, tabularFlavor, tabularPackage, tabularLoaded } from './tabular.js';
export { ONNX_FLAVOR, onnxFlavor, onnxPackage, type OnnxPackageOptions } from './onnx.js';
export { classify, predictionRecords, type Flavor, type LoadedFlavor, type LoadFlavorOptions, type Predictions } from './types.js';
export { buildOnnxModel, linearRegressorOnnx, logisticClassifierOnnx, OnnxDataType, type OnnxGraphSpec, type OnnxNode, type OnnxValueInfo, type OnnxInitializer } from './onnx-builder.js';
export { logModel, loadModel, hasColumnSignature, type LogModelOptions, type LoggedModelResult, type LoadModelOptions, type RemoteLoadedModel } from './remote.js';
