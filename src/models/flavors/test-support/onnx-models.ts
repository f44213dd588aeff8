import { buildOnnxModel } from '../onnx-builder.js';

/** A classifier as sklearn-onnx converts one by default: argmax labels plus ZipMap probabilities (not a tensor). */
export function zipMapClassifier(): Uint8Array {
  return buildOnnxModel({
    nodes: [
      { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['z'] },
      { opType: 'Softmax', inputs: ['z'], outputs: ['probs'], attributes: { axis: 1 }, intAttributes: ['axis'] },
      { opType: 'ArgMax', inputs: ['probs'], outputs: ['output_label'], attributes: { axis: 1, keepdims: 0 }, intAttributes: ['axis', 'keepdims'] },
      { opType: 'ZipMap', inputs: ['probs'], outputs: ['output_probability'], domain: 'ai.onnx.ml', attributes: { classlabels_int64s: [0, 1] }, intAttributes: ['classlabels_int64s'] },
    ],
    inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', 1] }],
    outputs: [
      { name: 'output_label', type: 'INT64', shape: ['N'] },
      { name: 'output_probability', type: 'FLOAT', shape: [], sequenceOfMapKey: 'INT64' },
    ],
    // logits (x, −x): class 1 when x < 0.
    initializers: [{ name: 'W', type: 'FLOAT', dims: [1, 2], values: [1, -1] }],
    extraOpsets: { 'ai.onnx.ml': 1 },
  });
}
