/**
 * The one module that knows the ONNX protobuf format: decoding a model, encoding the parts it is
 * split into, and reading node attributes. It wraps `onnx-proto` (protobufjs code generated from
 * onnx.proto), so a bundler can inline that dependency here and nowhere else.
 */
// onnx-proto is CommonJS: its namespace arrives as the default export.
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

export const onnx: typeof proto = (onnxProto as unknown as { onnx: typeof proto }).onnx;
export type ModelProto = proto.IModelProto;
export type GraphProto = proto.IGraphProto;
export type NodeProto = proto.INodeProto;
export type TensorProto = proto.ITensorProto;
export type ValueInfoProto = proto.IValueInfoProto;
export type AttributeProto = proto.IAttributeProto;

/** TensorProto.DataType codes this adapter names. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

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

export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`InferenceSession.create: the model bytes are not an ONNX ModelProto (${(error as Error).message})`);
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** protobufjs gives int64 fields as numbers or Long objects; everything here fits a double. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

const AttributeType = onnx.AttributeProto.AttributeType;

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
