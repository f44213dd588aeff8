/**
 * A minimal ONNX writer: enough of the protobuf encoding of ModelProto, GraphProto, NodeProto,
 * TensorProto and ValueInfoProto to build small graphs (a linear regressor, a logistic model)
 * in tests and demos without downloading a model or depending on the `onnx` Python package.
 * Field numbers follow onnx/onnx.proto (IR version 8).
 */

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11 } as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

/** A graph input or output: name, element type and shape (a string is a symbolic dimension). */
export interface OnnxValueInfo {
  /** The tensor's name in the graph. */
  name: string;
  /** Element type. */
  type: OnnxDataTypeName;
  /** Dimensions; a string (e.g. `'N'`) is a symbolic (batch) dimension. */
  shape: Array<number | string>;
  /**
   * Instead of a tensor: a sequence of maps (what sklearn-onnx's ZipMap outputs), with this key
   * type and `type` as the value type. `shape` is then ignored.
   */
  sequenceOfMapKey?: 'INT64' | 'STRING';
}

/** A constant tensor stored in the graph (weights, biases). */
export interface OnnxInitializer {
  /** The name nodes refer to. */
  name: string;
  /** FLOAT, DOUBLE or INT64. */
  type: 'FLOAT' | 'DOUBLE' | 'INT64';
  /** Dimensions. */
  dims: number[];
  /** Values in row-major order. */
  values: number[];
}

/** One operator. Attributes are numbers (float unless listed in `intAttributes`), number arrays or strings. */
export interface OnnxNode {
  /** The operator, e.g. `MatMul`, `Add`, `Sigmoid`. */
  opType: string;
  /** Input value names. */
  inputs: string[];
  /** Output value names. */
  outputs: string[];
  /** Node name (optional). */
  name?: string;
  /** Operator domain; empty for the default `ai.onnx` domain. */
  domain?: string;
  /** Attributes: a number is a float unless its name is in `intAttributes`; arrays likewise. */
  attributes?: Record<string, number | number[] | string>;
  /** Names of numeric attributes to encode as INT/INTS. */
  intAttributes?: string[];
}

/** A whole model: one graph and its opset. */
export interface OnnxGraphSpec {
  /** Graph name. */
  name?: string;
  /** Operators, in topological order. */
  nodes: OnnxNode[];
  /** Graph inputs (what callers feed). */
  inputs: OnnxValueInfo[];
  /** Graph outputs (what a run returns). */
  outputs: OnnxValueInfo[];
  /** Constant tensors (weights). */
  initializers?: OnnxInitializer[];
  /** Default-domain opset version; default 13. */
  opset?: number;
  /** Extra opsets, e.g. `{ 'ai.onnx.ml': 3 }`. */
  extraOpsets?: Record<string, number>;
}

/** Encode a model as the bytes of an `.onnx` file. */
export function buildOnnxModel(spec: OnnxGraphSpec): Uint8Array {
  const graph = new Writer();
  for (const n of spec.nodes) graph.message(1, encodeNode(n));
  graph.string(2, spec.name ?? 'hangar');
  for (const t of spec.initializers ?? []) graph.message(5, encodeTensor(t));
  for (const v of spec.inputs) graph.message(11, encodeValueInfo(v));
  for (const v of spec.outputs) graph.message(12, encodeValueInfo(v));

  const model = new Writer();
  model.varintField(1, 8); // ir_version
  model.string(2, 'hangar');
  model.string(3, '0');
  model.message(7, graph.bytes());
  const opset = new Writer();
  opset.string(1, '');
  opset.varintField(2, spec.opset ?? 13);
  model.message(8, opset.bytes());
  for (const [domain, version] of Object.entries(spec.extraOpsets ?? {})) {
    const o = new Writer();
    o.string(1, domain);
    o.varintField(2, version);
    model.message(8, o.bytes());
  }
  return model.bytes();
}

/** `y = x · w + b` over a `[N, F]` float input named `input`, output `variable` `[N, 1]`. */
export function linearRegressorOnnx(weights: number[], bias: number): Uint8Array {
  return buildOnnxModel({
    nodes: [
      { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['xw'] },
      { opType: 'Add', inputs: ['xw', 'B'], outputs: ['variable'] },
    ],
    inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', weights.length] }],
    outputs: [{ name: 'variable', type: 'FLOAT', shape: ['N', 1] }],
    initializers: [
      { name: 'W', type: 'FLOAT', dims: [weights.length, 1], values: weights },
      { name: 'B', type: 'FLOAT', dims: [1], values: [bias] },
    ],
  });
}

/**
 * A logistic model `p = sigmoid(x · w + b)` over a `[N, F]` float input named `input`, with the
 * outputs sklearn-onnx converters produce with `zipmap=False`: `label` (int64 `[N]`, 1 when
 * p ≥ 0.5) and `probabilities` (float `[N, 2]`: 1 − p, p).
 */
export function logisticClassifierOnnx(weights: number[], bias: number): Uint8Array {
  return buildOnnxModel({
    nodes: [
      { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['xw'] },
      { opType: 'Add', inputs: ['xw', 'B'], outputs: ['z'] },
      { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
      { opType: 'Sub', inputs: ['one', 'p'], outputs: ['q'] },
      { opType: 'Concat', inputs: ['q', 'p'], outputs: ['probabilities'], attributes: { axis: 1 }, intAttributes: ['axis'] },
      { opType: 'ArgMax', inputs: ['probabilities'], outputs: ['label'], attributes: { axis: 1, keepdims: 0 }, intAttributes: ['axis', 'keepdims'] },
    ],
    inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', weights.length] }],
    outputs: [
      { name: 'label', type: 'INT64', shape: ['N'] },
      { name: 'probabilities', type: 'FLOAT', shape: ['N', 2] },
    ],
    initializers: [
      { name: 'W', type: 'FLOAT', dims: [weights.length, 1], values: weights },
      { name: 'B', type: 'FLOAT', dims: [1], values: [bias] },
      { name: 'one', type: 'FLOAT', dims: [1], values: [1] },
    ],
  });
}

// --- protobuf encoding -------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Writer {
  private readonly chunks: number[] = [];

  private varint(v: number | bigint): void {
    // Negative int64 values are encoded as their 64-bit two's complement, as protobuf does.
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.chunks.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.chunks.push(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  varintField(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, WIRE_FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.chunks.push(...b);
  }

  raw(field: number, bytes: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(bytes.length);
    for (const x of bytes) this.chunks.push(x);
  }

  string(field: number, s: string): void {
    this.raw(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, bytes: Uint8Array): void {
    this.raw(field, bytes);
  }

  packedVarints(field: number, values: number[]): void {
    const w = new Writer();
    for (const v of values) w.varint(v);
    this.raw(field, w.bytes());
  }

  pushByte(b: number): void {
    this.chunks.push(b);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function encodeTensor(t: OnnxInitializer): Uint8Array {
  const w = new Writer();
  w.packedVarints(1, t.dims);
  w.varintField(2, OnnxDataType[t.type]);
  w.string(8, t.name);
  // raw_data (little-endian) works for every numeric type and avoids per-type repeated fields.
  let raw: Buffer;
  if (t.type === 'FLOAT') raw = Buffer.from(Float32Array.from(t.values).buffer);
  else if (t.type === 'DOUBLE') raw = Buffer.from(Float64Array.from(t.values).buffer);
  else raw = Buffer.from(BigInt64Array.from(t.values.map((v) => BigInt(v))).buffer);
  w.raw(9, raw);
  return w.bytes();
}

function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === 'number') dim.varintField(1, d);
    else dim.string(2, d);
    shape.message(1, dim.bytes());
  }
  const tensor = new Writer();
  tensor.varintField(1, OnnxDataType[v.type]);
  tensor.message(2, shape.bytes());
  let type = new Writer();
  type.message(1, tensor.bytes());
  if (v.sequenceOfMapKey !== undefined) {
    // TypeProto: sequence_type (4) { elem_type: map_type (5) { key_type, value_type: tensor } }.
    const scalar = new Writer();
    scalar.varintField(1, OnnxDataType[v.type]);
    const valueType = new Writer();
    valueType.message(1, scalar.bytes());
    const map = new Writer();
    map.varintField(1, OnnxDataType[v.sequenceOfMapKey]);
    map.message(2, valueType.bytes());
    const mapType = new Writer();
    mapType.message(5, map.bytes());
    const seq = new Writer();
    seq.message(1, mapType.bytes());
    type = new Writer();
    type.message(4, seq.bytes());
  }
  const w = new Writer();
  w.string(1, v.name);
  w.message(2, type.bytes());
  return w.bytes();
}

// AttributeProto.AttributeType values.
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function encodeNode(n: OnnxNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  const ints = new Set(n.intAttributes ?? []);
  for (const [name, value] of Object.entries(n.attributes ?? {})) {
    const a = new Writer();
    a.string(1, name);
    if (typeof value === 'string') {
      a.string(4, value);
      a.varintField(20, ATTR.STRING);
    } else if (typeof value === 'number') {
      if (ints.has(name)) {
        a.varintField(3, value);
        a.varintField(20, ATTR.INT);
      } else {
        a.float(2, value);
        a.varintField(20, ATTR.FLOAT);
      }
    } else if (ints.has(name)) {
      a.packedVarints(8, value);
      a.varintField(20, ATTR.INTS);
    } else {
      const floats = new Writer();
      for (const f of value) {
        const b = Buffer.alloc(4);
        b.writeFloatLE(f);
        for (const x of b) floats.pushByte(x);
      }
      a.raw(7, floats.bytes());
      a.varintField(20, ATTR.FLOATS);
    }
    w.message(5, a.bytes());
  }
  if (n.domain !== undefined) w.string(7, n.domain);
  return w.bytes();
}
