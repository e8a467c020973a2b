/**
 * The one module that knows the ONNX protobuf format: decoding a model, encoding the parts it is
 * split into, and reading node attributes. The wire format is @bufbuild/protobuf's, with code
 * generated from ONNX's own `onnx.proto` (`proto/onnx_pb.ts`, `npm run generate:onnx`). The rest of
 * the adapter sees the plain objects declared here: every field optional, int64 fields as numbers or
 * bigints, and the two oneofs it reads (`TypeProto.tensorType`, a dimension's `dimValue`/`dimParam`)
 * as plain members, so that graphs built by hand and graphs decoded from bytes have one shape.
 */
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AttributeType,
  ModelProtoSchema,
  TensorProto_DataType,
  type GraphProto as GraphMessage,
  type ModelProto as ModelMessage,
  type TypeProto as TypeMessage,
  type ValueInfoProto as ValueInfoMessage,
} from './proto/onnx_pb.js';

export { AttributeType, TensorProto_DataType as TensorDataType };

/** An int64 field: bigints when decoded, numbers or bigints when built. */
export type Int64 = number | bigint;

export interface AttributeProto {
  name?: string;
  type?: AttributeType;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: SubgraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: SubgraphProto[];
}

/** A graph inside an attribute (If, Loop, Scan): passed through as decoded; only names are read. */
export interface SubgraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: { name?: string }[];
  input?: { name?: string }[];
  output?: { name?: string }[];
}

export interface NodeProto {
  name?: string;
  opType?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
  docString?: string;
}

export interface TensorProto {
  name?: string;
  dims?: Int64[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
}

export interface DimensionProto {
  dimValue?: Int64;
  dimParam?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
}

/** TensorProto.DataType codes this adapter names. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** ORT's tensor type names by TensorProto.DataType code. */
const ORT_TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

/** The TensorProto.DataType code of an ORT tensor type name. */
export function dataTypeOf(ortType: string): number {
  for (const [code, name] of Object.entries(ORT_TYPE_NAMES)) if (name === ortType) return Number(code);
  throw new TypeError(`InferenceSession: no ONNX element type for ORT tensor type ${JSON.stringify(ortType)}`);
}

function plainType(type: TypeMessage | undefined): TypeProto | undefined {
  if (!type || type.value.case !== 'tensorType') return type && {};
  const { elemType, shape } = type.value.value;
  const dim = shape?.dim.map((d): DimensionProto => (d.value.case === 'dimValue' ? { dimValue: d.value.value } : d.value.case === 'dimParam' ? { dimParam: d.value.value } : {}));
  return { tensorType: { elemType, shape: shape && { dim } } };
}

function plainValueInfo(info: ValueInfoMessage): ValueInfoProto {
  return { name: info.name, type: plainType(info.type), docString: info.docString };
}

function plainGraph(graph: GraphMessage): GraphProto {
  return {
    name: graph.name,
    node: graph.node,
    initializer: graph.initializer,
    input: graph.input.map(plainValueInfo),
    output: graph.output.map(plainValueInfo),
    valueInfo: graph.valueInfo.map(plainValueInfo),
    docString: graph.docString,
  };
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelMessage;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw new Error(`InferenceSession.create: the model bytes are not an ONNX ModelProto (${(error as Error).message})`, { cause: error });
  }
  const { irVersion, opsetImport, producerName, producerVersion, domain, modelVersion, docString, graph } = model;
  return { irVersion, opsetImport, producerName, producerVersion, domain, modelVersion, docString, graph: graph && plainGraph(graph) };
}

type ModelInit = MessageInitShape<typeof ModelProtoSchema>;
type GraphInit = NonNullable<ModelInit['graph']>;
type ValueInfoInit = NonNullable<GraphInit['input']>[number];
type TypeInit = NonNullable<ValueInfoInit['type']>;

function typeInit(type: TypeProto | undefined): TypeInit | undefined {
  const tensor = type?.tensorType;
  if (!tensor) return type && {};
  const dim = tensor.shape?.dim?.map((d) => ({
    value: d.dimValue !== undefined ? { case: 'dimValue' as const, value: BigInt(d.dimValue) } : d.dimParam !== undefined ? { case: 'dimParam' as const, value: d.dimParam } : { case: undefined },
  }));
  return { value: { case: 'tensorType', value: { elemType: tensor.elemType, shape: tensor.shape && { dim } } } };
}

function valueInfoInit(info: ValueInfoProto): ValueInfoInit {
  return { name: info.name, type: typeInit(info.type), docString: info.docString };
}

/**
 * Nodes, attributes and tensors have the same members here and in the generated messages (int64
 * numbers are written as int64 all the same), so only value infos need their oneof rebuilt.
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const graph = model.graph;
  const init = {
    ...model,
    graph: graph && {
      name: graph.name,
      node: graph.node,
      initializer: graph.initializer,
      input: graph.input?.map(valueInfoInit),
      output: graph.output?.map(valueInfoInit),
      valueInfo: graph.valueInfo?.map(valueInfoInit),
      docString: graph.docString,
    },
  } as ModelInit;
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, init));
}

/** An int64 field as a number (everything this adapter reads fits a double). */
export function toNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return Number(value);
}


/** A node's attributes by name, read on demand with the type each one must have. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    node: NodeProto,
    private readonly what: string,
  ) {
    for (const attribute of node.attribute ?? []) this.byName.set(attribute.name ?? '', attribute);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    this.expect(a, AttributeType.INT, 'an integer');
    return toNumber(a.i);
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    this.expect(a, AttributeType.INTS, 'a list of integers');
    return (a.ints ?? []).map(toNumber);
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    if (!a) return fallback;
    this.expect(a, AttributeType.STRING, 'a string');
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  /** Attribute names this reader does not know, for a clear refusal of unknown ones. */
  unknown(known: readonly string[]): string[] {
    return [...this.byName.keys()].filter((name) => !known.includes(name));
  }

  private expect(a: AttributeProto, type: number, words: string): void {
    // Writers before IR version 3 may leave `type` unset; trust the filled field then.
    if (a.type && a.type !== type) {
      throw new TypeError(`${this.what}: attribute ${a.name} must be ${words}, got attribute type ${AttributeType[a.type] ?? a.type}`);
    }
  }
}

/** The name an error uses for a node: `MaxPool node "pool1"` (or its position when unnamed). */
export function describeNode(node: NodeProto, position: number): string {
  return node.name ? `${node.opType} node ${JSON.stringify(node.name)}` : `${node.opType} node #${position}`;
}

/** The ONNX element type code of a value info, or 0 when it has none. */
export function elemTypeOf(info: ValueInfoProto | undefined): number {
  return info?.type?.tensorType?.elemType ?? 0;
}

/** A value info for a tensor of an element type and unknown shape. */
export function tensorValueInfo(name: string, elemType: number): ValueInfoProto {
  return { name, type: { tensorType: { elemType } } };
}

/** The ORT tensor type name of an element type code. */
export function ortTypeName(elemType: number): string {
  const name = ORT_TYPE_NAMES[elemType];
  if (!name) throw new TypeError(`InferenceSession: unsupported ONNX element type ${elemType}`);
  return name;
}
