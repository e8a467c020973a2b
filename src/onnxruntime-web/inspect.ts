/**
 * What the adapter will do with an ONNX model, as a report (src/model/report.ts), without ORT and
 * without a GPU: each pooling node with its attributes, index format and placement (argpool, ORT's
 * WebGPU provider or ORT's CPU provider, and why), the ORT parts and argpool steps of a run, the
 * inputs' shapes with their symbolic dimensions, and every refusal with what to change.
 *
 * It decides nothing of its own: attributes are read by the adapter's readers (attributes.ts), the
 * parts and steps are the adapter's plan (`planModel`), types are checked by the session's check,
 * and shapes, where the model fixes them, are resolved by the adapter's resolvers and the core's
 * geometry (`argpool/low-level`), which make the same checks at run time.
 *
 * A file it did not write is read in bounded time and memory: the size is checked before decoding
 * (the protobuf decoder itself bounds nesting), element counts are exact bigint products checked
 * against the limits (src/model/limits.ts) before anything is allocated, and an initializer's data
 * must be as long as its dims say.
 */
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../low-level.js';
import { checkTensorBytes, elementCount, showCount } from '../model/limits.js';
import { emptyReport, finishReport, refuseOversize, type ReportOptions } from '../model/reports.js';
import type { AttributeValue, Dimension, ModelReport, Placement, PoolingInfo, Refusal, StepInfo, TensorInfo } from '../model/report.js';
import { NodeRefusal, padsAboveHalfKernel, readMaxPool, readMaxUnpool, resolveMaxPool, resolveMaxUnpool, type MaxPoolAttributes, type MaxUnpoolAttributes } from './attributes.js';
import { DataType, decodeModel, describeNode, elemTypeOf, ortTypeName, toNumber, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './onnx.js';
import { ONNX_OPERATORS, ONNX_OPERATORS_OPSET, ORT_DOMAINS } from './operators.js';
import { planModel, runsInArgpool, type Plan } from './plan.js';
import { checkTypes } from './session.js';

export interface InspectModelOptions extends ReportOptions {
  /** Values of the inputs' symbolic dimensions (ONNX `dim_param`), e.g. `{ height: 256, width: 320 }`. */
  dims?: Record<string, number>;
}

const ONNX_DOMAINS = ['', 'ai.onnx'];

/** Bytes per element by TensorProto.DataType (4-bit types: half a byte; strings: unknown, 0). */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
  17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5, 23: 0.5,
};

/** The typed field that holds an initializer's values when it has no raw_data, by data type, and values per element. */
function typedValues(t: TensorProto & { uint64Data?: unknown[]; stringData?: unknown[] }): { field: string; count: number; perElement: number } | null {
  const type = t.dataType ?? 0;
  if (type === 1 || type === 14) return { field: 'float_data', count: t.floatData?.length ?? 0, perElement: type === 14 ? 2 : 1 };
  if (type === 11 || type === 15) return { field: 'double_data', count: t.doubleData?.length ?? 0, perElement: type === 15 ? 2 : 1 };
  if (type === 7) return { field: 'int64_data', count: t.int64Data?.length ?? 0, perElement: 1 };
  if (type === 12 || type === 13) return { field: 'uint64_data', count: t.uint64Data?.length ?? 0, perElement: 1 };
  if (type === 8) return { field: 'string_data', count: t.stringData?.length ?? 0, perElement: 1 };
  if ([2, 3, 4, 5, 6, 9, 10, 16, 17, 18, 19, 20].includes(type)) return { field: 'int32_data', count: t.int32Data?.length ?? 0, perElement: 1 };
  return null;
}

function typeName(type: number): string {
  try {
    return ortTypeName(type);
  } catch {
    return type ? `element type ${type}` : 'unknown';
  }
}

function show(values: readonly unknown[]): string {
  return `[${values.join(', ')}]`;
}

/** A value info's declared shape: sizes, dim_param names, null where neither is given; null when no shape. */
function declaredShape(info: ValueInfoProto | undefined): Dimension[] | null {
  const shape = info?.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => (d.dimValue !== undefined ? toNumber(d.dimValue) : d.dimParam ? d.dimParam : null));
}

/** The shape with symbolic dimensions set from `dims`, or null while any dimension is unknown. */
function resolveShape(shape: Dimension[] | null, dims: Record<string, number>): number[] | null {
  if (!shape) return null;
  const out: number[] = [];
  for (const d of shape) {
    if (typeof d === 'number') out.push(d);
    else if (typeof d === 'string' && dims[d] !== undefined) out.push(dims[d]);
    else return null;
  }
  return out;
}

/** The values of a small int64 initializer (MaxUnpool's output_shape), or null. */
function int64Values(t: TensorProto | undefined): number[] | null {
  if (!t || t.dataType !== DataType.INT64) return null;
  const count = Number(elementCount((t.dims ?? []).map(toNumber)));
  if (count > 8) return null;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 8) return null;
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  return (t.int64Data ?? []).map(toNumber);
}

/** Operators with counts in first-seen order: `Conv ×2, Relu ×2`. */
export function operatorSummary(ops: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(', ');
}

function refusalOf(error: unknown, where: string, change: string): Refusal {
  if (error instanceof NodeRefusal) {
    return { where: error.node, attribute: error.detail.attribute, value: error.detail.value, message: error.message, change: error.detail.change ?? change };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { where, message: message.startsWith(where) ? message : `${where}: ${message}`, change };
}

const EXPORT_ONNX = 'give an .onnx file (an ONNX ModelProto), as torch.onnx.export, tf2onnx or keras2onnx write it';

/** Why a file is not a model: a truncated ONNX file reads as ir_version first and then ends early. */
function notAModel(bytes: Uint8Array, error: unknown): Refusal {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/^InferenceSession\.create: the model bytes are not an ONNX ModelProto \((.*)\)$/, '$1');
  const looksLikeOnnx = bytes.length > 2 && bytes[0] === 0x08 && bytes[1] >= 1 && bytes[1] <= 15;
  if (looksLikeOnnx && /premature EOF/.test(reason)) {
    return {
      where: 'the file',
      message: `the file ends in the middle of the model: it starts as an ONNX model (ir_version ${bytes[1]}) but stops after ${showCount(bytes.length)} bytes (the protobuf decoder: ${reason})`,
      change: 'the file is truncated: copy or download the whole .onnx file again',
    };
  }
  return { where: 'the file', message: `the file is not an ONNX model (the protobuf decoder stopped: ${reason})`, change: EXPORT_ONNX };
}

/** The raw attributes of a node the readers refused, as far as they can be shown. */
function rawAttributes(node: NodeProto): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    if (a.ints && a.ints.length > 0) out[name] = a.ints.map(toNumber);
    else if (a.s && a.s.length > 0) out[name] = new TextDecoder().decode(a.s);
    else if (a.i !== undefined) out[name] = toNumber(a.i);
    else if (a.f !== undefined) out[name] = a.f;
  }
  return out;
}

function poolAttributes(a: MaxPoolAttributes): Record<string, AttributeValue> {
  return {
    kernel_shape: a.kernel,
    strides: a.strides,
    pads: a.pads,
    auto_pad: a.autoPad,
    dilations: a.dilations,
    ceil_mode: a.ceilMode ? 1 : 0,
    storage_order: a.storageOrder,
  };
}

function unpoolAttributes(a: MaxUnpoolAttributes): Record<string, AttributeValue> {
  return { kernel_shape: a.kernel, strides: a.strides, pads: a.pads };
}

function indexFormat(node: NodeProto, attributes: Record<string, AttributeValue>): string {
  if (node.opType === 'MaxUnpool') return 'reads ONNX int64, flat over N,C,spatial';
  if (!node.output?.[1]) return '';
  return attributes.storage_order === 1 ? 'ONNX int64, flat over N,C, spatial column-major' : 'ONNX int64, flat over N,C,spatial';
}

/** Where the adapter's plan puts a pooling node, and why. */
function placementOf(node: NodeProto, typeOf: (name: string) => number | undefined, attributes: MaxPoolAttributes | null): { placement: Placement; reason: string } {
  if (!runsInArgpool(node, typeOf)) {
    if (node.opType === 'MaxPool' && !node.output?.[1]) {
      return { placement: 'ort-webgpu', reason: "MaxPool without an Indices output: ORT's WebGPU provider runs it with its own kernel" };
    }
    const type = typeName(typeOf(node.input?.[0] ?? '') ?? 0);
    return {
      placement: 'ort-cpu',
      reason: `X is ${type}: argpool pools float32 and float16, and ORT's WebGPU provider has no ${node.opType === 'MaxPool' ? 'Indices output' : 'MaxUnpool'}, so ORT runs it on its CPU provider`,
    };
  }
  if (node.opType === 'MaxPool' && attributes && padsAboveHalfKernel(attributes)) {
    return {
      placement: 'ort-cpu',
      reason:
        `pads ${show(attributes.pads)} exceed half of kernel_shape ${show(attributes.kernel)}: argpool (like PyTorch) pads at most half a window, ` +
        "so the node runs alone in an ORT part on ORT's CPU (wasm) provider, as ORT computes it",
    };
  }
  return node.opType === 'MaxPool'
    ? { placement: 'argpool', reason: "MaxPool with an Indices output: ORT's WebGPU provider has none (\"The Indices output is not supported yet\"); argpool runs it on ORT's GPU device" }
    : { placement: 'argpool', reason: "ORT's WebGPU provider has no MaxUnpool kernel; argpool runs it on ORT's GPU device" };
}

/** The steps of a plan, as the report lists them. */
function stepsOf(plan: Plan, nodeCount: number, allOps: string[]): StepInfo[] {
  if (!plan.split) {
    return [{ placement: 'ort-webgpu', label: 'ORT runs the model unchanged', nodes: nodeCount, ops: operatorSummary(allOps), inputs: plan.inputNames, outputs: plan.outputNames }];
  }
  return plan.steps.map((step): StepInfo => {
    if (step.kind === 'ort') {
      return { placement: step.cpu ? 'ort-cpu' : 'ort-webgpu', label: step.label, nodes: step.nodes.length, ops: operatorSummary(step.nodes.map((n) => n.opType ?? '')), inputs: step.inputs, outputs: step.outputs };
    }
    if (step.kind === 'maxPool') return { placement: 'argpool', label: step.label, nodes: 1, ops: 'MaxPool', inputs: [step.input], outputs: [step.values, step.indices].filter(Boolean) };
    return { placement: 'argpool', label: step.label, nodes: 1, ops: 'MaxUnpool', inputs: [step.values, step.indices, ...(step.outputShape ? [step.outputShape] : [])], outputs: [step.output] };
  });
}

/** Refusals of an initializer whose data is not as long as its dims say, or that no tensor could hold. */
function checkInitializer(t: TensorProto & { dataLocation?: number }, report: ModelReport): void {
  const where = `initializer ${JSON.stringify(t.name ?? '')}`;
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    report.refusals.push({ where, attribute: 'dims', value: show(dims), message: `${where}: dims ${show(dims)} must be non-negative integers`, change: 'the file is damaged: export the model again' });
    return;
  }
  if (t.dataLocation === 1) {
    report.refusals.push({
      where,
      attribute: 'data_location',
      value: 'EXTERNAL',
      message: `${where}: its data is in an external file, which this reader does not load`,
      change: 'save the model with every tensor inside the .onnx file (onnx.save_model(model, path, save_as_external_data=False))',
    });
    return;
  }
  const type = t.dataType ?? 0;
  const elements = elementCount(dims);
  const size = ELEMENT_BYTES[type];
  const damaged = 'the file is damaged or was edited: export the model again';
  if (t.rawData && t.rawData.length > 0) {
    if (size !== undefined && size > 0) {
      const expected = (elements * BigInt(size * 2) + 1n) / 2n;
      if (BigInt(t.rawData.length) !== expected) {
        report.refusals.push({
          where,
          attribute: 'raw_data',
          value: `${showCount(t.rawData.length)} bytes`,
          message: `${where}: dims ${show(dims)} (${typeName(type)}) need ${showCount(expected)} bytes, but raw_data holds ${showCount(t.rawData.length)}`,
          change: damaged,
        });
        return;
      }
    }
  } else {
    const typed = typedValues(t);
    if (typed && BigInt(typed.count) !== elements * BigInt(typed.perElement)) {
      report.refusals.push({
        where,
        attribute: typed.field,
        value: `${showCount(typed.count)} values`,
        message: `${where}: dims ${show(dims)} need ${showCount(elements * BigInt(typed.perElement))} values, but ${typed.field} holds ${showCount(typed.count)}`,
        change: damaged,
      });
      return;
    }
  }
  if (size !== undefined) {
    const refusal = checkTensorBytes(report.limits, where, 'its dims', dims, size, { attribute: 'dims', change: 'a smaller model, or a device with larger buffers' });
    if (refusal) report.refusals.push(refusal);
  }
}

/** The operator checks: ONNX's own operators, ORT's contrib and ONNX-ML domains; anything else is refused. */
function checkOperators(model: ModelProto, nodes: NodeProto[], report: ModelReport): void {
  const opset = toNumber((model.opsetImport ?? []).find((o) => ONNX_DOMAINS.includes(o.domain ?? ''))?.version);
  const custom = 'ONNX Runtime Web runs ONNX operators (and its own contrib operators) only, with no JavaScript custom-op API: replace the node with ONNX operators, or export without the custom operator';
  nodes.forEach((node, i) => {
    const domain = node.domain ?? '';
    const where = describeNode(node, i);
    if (ONNX_DOMAINS.includes(domain)) {
      if (ONNX_OPERATORS.has(node.opType ?? '')) return;
      if (opset > ONNX_OPERATORS_OPSET) {
        report.notes.push(`${where}: ${node.opType} is not among the ONNX operators argpool knows (up to opset ${ONNX_OPERATORS_OPSET}); ORT decides at create whether it has a kernel`);
        return;
      }
      report.refusals.push({ where, attribute: 'op_type', value: node.opType ?? '', message: `${where}: ${JSON.stringify(node.opType)} is not an ONNX operator (opset ${opset}), so no ONNX Runtime provider can run it`, change: custom });
    } else if (!ORT_DOMAINS.includes(domain)) {
      report.refusals.push({ where, attribute: 'domain', value: domain, message: `${where}: operator ${JSON.stringify(node.opType)} of domain ${JSON.stringify(domain)} is a custom operator that no ONNX Runtime Web provider runs`, change: custom });
    }
  });
}

/**
 * Inspects an ONNX model (the bytes of an .onnx file): what argpool/onnxruntime-web will do with it,
 * or why it will not run it. Never throws for a bad model: every problem is a refusal in the report.
 */
export function inspectModel(model: Uint8Array | ArrayBufferLike, options: InspectModelOptions = {}): ModelReport {
  const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
  const report = emptyReport('onnx', bytes.byteLength, options);
  const finish = () => finishReport(report);
  const dims = report.dims;
  if (refuseOversize(report)) return finish();
  let decoded: ModelProto;
  try {
    decoded = decodeModel(bytes);
  } catch (error) {
    report.refusals.push(notAModel(bytes, error));
    return finish();
  }
  const graph = decoded.graph;
  const nodes = graph?.node ?? [];
  if (!graph || nodes.length === 0) {
    report.refusals.push({ where: 'the file', message: `the file is not an ONNX model: it decodes as protobuf but holds ${graph ? 'a graph without nodes' : 'no graph'}`, change: EXPORT_ONNX });
    return finish();
  }
  const producer = [decoded.producerName, decoded.producerVersion].filter(Boolean).join(' ');
  const opsets = (decoded.opsetImport ?? []).map((o) => `${o.domain || 'ai.onnx'} ${toNumber(o.version)}`).join(', ');
  report.model = { name: graph.name ?? '', producer, details: `IR version ${toNumber(decoded.irVersion)}, opset ${opsets || 'none'}`, bytes: bytes.byteLength, nodes: nodes.length };

  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const t of initializers.values()) checkInitializer(t, report);

  // Declared shapes and types; argpool's outputs are added as they are resolved.
  const declared = new Map<string, ValueInfoProto>();
  for (const info of [...(graph.valueInfo ?? []), ...(graph.output ?? []), ...(graph.input ?? [])]) declared.set(info.name ?? '', info);
  const shapes = new Map<string, Dimension[] | null>([...declared].map(([name, info]) => [name, declaredShape(info)]));
  const types = new Map<string, number>();
  for (const [name, info] of declared) if (elemTypeOf(info)) types.set(name, elemTypeOf(info));
  for (const [name, t] of initializers) if (t.dataType) types.set(name, t.dataType);

  const tensorInfo = (info: ValueInfoProto): TensorInfo => {
    const shape = declaredShape(info);
    const resolved = resolveShape(shape, dims);
    return { name: info.name ?? '', dtype: typeName(elemTypeOf(info)), shape, ...(resolved ? { resolvedShape: resolved } : {}) };
  };
  report.inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(tensorInfo);
  report.outputs = (graph.output ?? []).map(tensorInfo);
  for (const input of report.inputs) {
    for (const d of input.shape ?? []) if (typeof d === 'string' && !report.symbolicDims.includes(d)) report.symbolicDims.push(d);
    if ((input.shape ?? []).some((d) => typeof d === 'number' && d < 0)) {
      report.refusals.push({ where: `input ${JSON.stringify(input.name)}`, attribute: 'shape', value: show(input.shape ?? []), message: `input ${JSON.stringify(input.name)}: shape ${show(input.shape ?? [])} has a negative size`, change: 'declare non-negative sizes, or a dim_param for a size set at run time' });
    }
    if (input.resolvedShape) {
      const refusal = checkTensorBytes(report.limits, `input ${JSON.stringify(input.name)}`, 'its shape', input.resolvedShape, ELEMENT_BYTES[types.get(input.name) ?? 1] ?? 4, {
        attribute: 'shape',
        change: report.symbolicDims.some((d) => input.shape?.includes(d)) ? 'smaller values for its symbolic dimensions' : 'a model with a smaller input',
      });
      if (refusal) report.refusals.push(refusal);
    }
  }
  for (const name of Object.keys(dims)) {
    if (!report.symbolicDims.includes(name)) report.notes.push(`dimension ${JSON.stringify(name)} was given a value, but no input has it (symbolic dimensions: ${report.symbolicDims.join(', ') || 'none'})`);
  }
  const unset = report.symbolicDims.filter((d) => dims[d] === undefined);
  if (unset.length > 0) {
    report.notes.push(`symbolic dimensions ${unset.join(', ')}: the shapes that depend on them are checked when a run sets them (npx argpool inspect --dim ${unset[0]}=VALUE)`);
  }

  checkOperators(decoded, nodes, report);

  // The pooling nodes, read by the adapter's own readers; shapes resolved where the model fixes them.
  const typeOf = (name: string) => types.get(name);
  const resolvedShape = (name: string) => resolveShape(shapes.get(name) ?? null, dims);
  nodes.forEach((node, i) => {
    if (!ONNX_DOMAINS.includes(node.domain ?? '') || (node.opType !== 'MaxPool' && node.opType !== 'MaxUnpool')) return;
    const label = describeNode(node, i);
    let attributes: MaxPoolAttributes | MaxUnpoolAttributes | null = null;
    try {
      attributes = node.opType === 'MaxPool' ? readMaxPool(node, i) : readMaxUnpool(node, i);
    } catch (error) {
      report.refusals.push(refusalOf(error, label, 'fix the attribute the message names'));
    }
    const shown = attributes ? (node.opType === 'MaxPool' ? poolAttributes(attributes as MaxPoolAttributes) : unpoolAttributes(attributes)) : rawAttributes(node);
    const { placement, reason } = placementOf(node, typeOf, node.opType === 'MaxPool' ? (attributes as MaxPoolAttributes | null) : null);
    const info: PoolingInfo = {
      name: node.name ?? '',
      label,
      op: node.opType,
      attributes: shown,
      indexFormat: indexFormat(node, shown),
      placement,
      reason,
      inputShape: shapes.get(node.input?.[0] ?? '') ?? null,
      outputShape: shapes.get(node.output?.[0] ?? '') ?? null,
    };
    report.pooling.push(info);
    if (!attributes) return;
    const taps = elementCount(attributes.kernel);
    if (taps > BigInt(report.limits.maxWindowTaps)) {
      report.refusals.push({
        where: label,
        attribute: 'kernel_shape',
        value: show(attributes.kernel),
        message: `${label}: kernel_shape ${show(attributes.kernel)} has ${showCount(taps)} taps per window, over the ${showCount(report.limits.maxWindowTaps)} an inspection allows`,
        change: `use a window of at most ${showCount(report.limits.maxWindowTaps)} taps (a global pooling of such a size is a GlobalMaxPool)`,
      });
      return;
    }
    if (placement !== 'argpool') return;
    try {
      resolvePooling(node, label, attributes, info, report, { shapes, types, initializers, resolvedShape });
    } catch (error) {
      report.refusals.push(refusalOf(error, label, 'change the node or the input shape so that the pooling has a valid output'));
    }
  });

  // The plan: the adapter's own, from the same bytes. A refusal above would throw there too.
  if (report.refusals.length === 0) {
    try {
      const plan = planModel(bytes);
      checkTypes(plan, plan.knownTypes);
      report.steps = stepsOf(plan, nodes.length, nodes.map((n) => n.opType ?? ''));
      const parts = plan.steps.filter((s) => s.kind === 'ort').length;
      if (plan.split) {
        report.notes.push(
          `${parts} ORT part${parts === 1 ? '' : 's'} and ${plan.steps.length - parts} argpool step${plan.steps.length - parts === 1 ? '' : 's'}: the adapter calls ORT ${parts} time${parts === 1 ? '' : 's'} per run, and tensors cross between ORT and argpool as GPU buffers on one device`,
        );
      }
    } catch (error) {
      report.refusals.push(refusalOf(error, 'the graph', 'check the model with onnx.checker.check_model and export it again'));
    }
  }
  report.notes.push("Nodes other than pooling run in ORT's parts; ORT puts those its WebGPU provider has no kernel for on its CPU provider, when it creates them");
  if (report.pooling.some((p) => p.placement === 'argpool' && p.op === 'MaxPool')) {
    report.notes.push("A NaN in a MaxPool window follows the ORT module's own rule (its version decides; the session's nan option changes it): docs/engines.md");
  }
  if (report.inputs.some((input) => input.dtype === 'float16')) {
    report.notes.push("float16 inputs: ORT's WebGPU kernels for float16 need the adapter's shader-f16 feature");
  }
  return finish();
}

interface ShapeState {
  shapes: Map<string, Dimension[] | null>;
  types: Map<string, number>;
  initializers: Map<string, TensorProto>;
  resolvedShape: (name: string) => number[] | null;
}

/**
 * Resolves an argpool pooling node against the shapes the model fixes, with the adapter's resolvers
 * and the core's geometry (the checks a run makes), checks the sizes it will allocate, and records
 * its output shapes for the nodes that follow. Throws what a run would throw.
 */
function resolvePooling(node: NodeProto, label: string, attributes: MaxPoolAttributes | MaxUnpoolAttributes, info: PoolingInfo, report: ModelReport, state: ShapeState): void {
  const { shapes, types, initializers, resolvedShape } = state;
  const floatBytes = types.get(node.input?.[0] ?? '') === DataType.FLOAT16 ? 2 : 4;
  const check = (what: string, shape: number[], bytes: number, attribute: string, change: string) => {
    const refusal = checkTensorBytes(report.limits, label, what, shape, bytes, { attribute, change });
    if (refusal) report.refusals.push(refusal);
    return !refusal;
  };
  if (node.opType === 'MaxPool') {
    const x = resolvedShape(node.input![0]);
    if (!x) return;
    const resolved = resolveMaxPool(attributes as MaxPoolAttributes, x);
    try {
      resolvePoolGeometry('maxPool', x, resolved.options);
    } catch (error) {
      throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
    }
    if (!check(node.output?.[1] ? 'its Indices output (int64)' : 'its output', resolved.outShape, 8, 'X', 'a smaller input')) return;
    for (const name of node.output ?? []) if (name && !resolveShape(shapes.get(name) ?? null, report.dims)) shapes.set(name, resolved.outShape);
    info.inputShape = x;
    info.outputShape = resolved.outShape;
    return;
  }
  const outputShapeName = node.input?.[2];
  const fixedOutput = outputShapeName ? int64Values(initializers.get(outputShapeName)) : undefined;
  if (fixedOutput && !check('output_shape', fixedOutput, floatBytes, 'output_shape', 'an output_shape whose elements fit one GPU buffer')) return;
  const x = resolvedShape(node.input?.[0] ?? '');
  if (!x || (outputShapeName && !fixedOutput)) return;
  const resolved = resolveMaxUnpool(attributes as MaxUnpoolAttributes, x, fixedOutput ?? undefined);
  if (!check('its output', resolved.outShape, floatBytes, outputShapeName ? 'output_shape' : 'kernel_shape', 'a smaller output')) return;
  // With X's batch and channels the adapter unpools per plane (the core's geometry checks it); with
  // others (ORT allows them) it scatters over the whole tensor, which only the sizes above bound.
  if (resolved.outShape[0] === x[0] && resolved.outShape[1] === x[1]) {
    try {
      resolveUnpoolGeometry('maxUnpool', x, x, resolved.options);
    } catch (error) {
      throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
    }
  }
  const out = node.output?.[0];
  if (out && !resolveShape(shapes.get(out) ?? null, report.dims)) shapes.set(out, resolved.outShape);
  info.inputShape = x;
  info.outputShape = resolved.outShape;
}
