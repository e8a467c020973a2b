/**
 * Splits an ONNX graph into the steps the adapter runs: ORT parts (sub-models that ONNX Runtime runs
 * on its WebGPU provider) and the nodes argpool runs between them (every MaxPool with an Indices
 * output, every MaxUnpool). Pure data: no ORT, no GPU, so the node tests inspect every decision.
 */
import { readMaxPool, readMaxUnpool, type MaxPoolAttributes, type MaxUnpoolAttributes } from './attributes.js';
import {
  DataType,
  decodeModel,
  describeNode,
  elemTypeOf,
  encodeModel,
  tensorValueInfo,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx.js';

export interface OrtStep {
  kind: 'ort';
  label: string;
  nodes: NodeProto[];
  /** Values the part reads from outside it (graph inputs, earlier steps), initializers excluded. */
  inputs: string[];
  /** Values it produces that a later step reads or the graph returns. */
  outputs: string[];
  /** The initializers its nodes use, copied into the part. */
  initializers: TensorProto[];
}

export interface MaxPoolStep {
  kind: 'maxPool';
  label: string;
  attributes: MaxPoolAttributes;
  input: string;
  values: string;
  indices: string;
}

export interface MaxUnpoolStep {
  kind: 'maxUnpool';
  label: string;
  attributes: MaxUnpoolAttributes;
  values: string;
  indices: string;
  /** MaxUnpool's third input, the full output shape, or null when it is absent. */
  outputShape: string | null;
  output: string;
}

export type Step = OrtStep | MaxPoolStep | MaxUnpoolStep;

export interface Plan {
  model: ModelProto;
  /** Graph inputs the caller feeds (initializers excluded). */
  inputNames: string[];
  outputNames: string[];
  /** False when the graph has no node argpool runs: ORT then runs the model unchanged. */
  split: boolean;
  steps: Step[];
  initializers: Map<string, TensorProto>;
  /** Element types known before any part runs: declared ones, and those of argpool's outputs. */
  knownTypes: Map<string, number>;
  /** The last step that reads each value; graph outputs are absent (they are returned, never freed). */
  lastUse: Map<string, number>;
  /** Values that some step reads on the CPU (MaxUnpool's output_shape). */
  readOnCpu: Set<string>;
  /** Values that some argpool step reads on the GPU. */
  readByArgpool: Set<string>;
}

const ONNX_DOMAINS = ['', 'ai.onnx'];

/** Whether argpool runs this node: a MaxPool that outputs Indices, or any MaxUnpool. */
export function runsInArgpool(node: NodeProto): boolean {
  if (!ONNX_DOMAINS.includes(node.domain ?? '')) return false;
  if (node.opType === 'MaxPool') return (node.output?.length ?? 0) >= 2 && !!node.output![1];
  return node.opType === 'MaxUnpool';
}

/** Names a node reads: its inputs and, for control flow, the outer values its subgraphs read. */
export function valuesRead(node: NodeProto): string[] {
  const names = new Set((node.input ?? []).filter((name) => name !== ''));
  for (const attribute of node.attribute ?? []) {
    for (const graph of [attribute.g, ...(attribute.graphs ?? [])]) if (graph) for (const name of outerReads(graph)) names.add(name);
  }
  return [...names];
}

/** Values a subgraph reads that it does not define itself. */
function outerReads(graph: GraphProto): Set<string> {
  const defined = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  for (const node of graph.node ?? []) for (const name of node.output ?? []) defined.add(name);
  const reads = new Set<string>();
  for (const node of graph.node ?? []) for (const name of valuesRead(node)) if (!defined.has(name)) reads.add(name);
  return reads;
}

/**
 * A topological order that runs every ready ORT node before any ready argpool node, so that the
 * ORT parts are as few and as large as the dependencies allow. Ties keep the model's order.
 */
export function schedule(nodes: NodeProto[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const name of node.output ?? []) if (name) producer.set(name, i);
  });
  const waiting = nodes.map(() => 0);
  const dependents = nodes.map(() => [] as number[]);
  nodes.forEach((node, i) => {
    const from = new Set(valuesRead(node).map((name) => producer.get(name)).filter((p): p is number => p !== undefined && p !== i));
    waiting[i] = from.size;
    for (const p of from) dependents[p].push(i);
  });
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => Number(runsInArgpool(nodes[a])) - Number(runsInArgpool(nodes[b])) || a - b);
    const next = ready.shift()!;
    order.push(next);
    for (const d of dependents[next]) if (--waiting[d] === 0) ready.push(d);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.findIndex((_, i) => !order.includes(i));
    throw new Error(`InferenceSession.create: the graph has a cycle or reads a value no node produces (at ${describeNode(nodes[stuck], stuck)})`);
  }
  return order;
}

export function planModel(bytes: Uint8Array): Plan {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('InferenceSession.create: the model has no graph');
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputNames = (graph.input ?? []).map((v) => v.name ?? '').filter((name) => !initializers.has(name));
  const outputNames = (graph.output ?? []).map((v) => v.name ?? '');
  const knownTypes = new Map<string, number>();
  const infos: ValueInfoProto[] = [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])];
  for (const info of infos) if (elemTypeOf(info)) knownTypes.set(info.name ?? '', elemTypeOf(info));
  for (const [name, t] of initializers) if (t.dataType) knownTypes.set(name, t.dataType);

  const empty: Plan = {
    model, inputNames, outputNames, split: false, steps: [], initializers, knownTypes,
    lastUse: new Map(), readOnCpu: new Set(), readByArgpool: new Set(),
  };
  if (!nodes.some(runsInArgpool)) return empty;

  const steps: Step[] = [];
  let part: NodeProto[] = [];
  const closePart = () => {
    if (part.length > 0) steps.push({ kind: 'ort', label: `ORT part ${steps.filter((s) => s.kind === 'ort').length}`, nodes: part, inputs: [], outputs: [], initializers: [] });
    part = [];
  };
  for (const i of schedule(nodes)) {
    const node = nodes[i];
    if (!runsInArgpool(node)) {
      part.push(node);
      continue;
    }
    closePart();
    const label = describeNode(node, i);
    const inputs = node.input ?? [];
    if (node.opType === 'MaxPool') {
      if (!inputs[0]) throw new Error(`${label}: input X is missing`);
      steps.push({ kind: 'maxPool', label, attributes: readMaxPool(node, i), input: inputs[0], values: node.output![0] ?? '', indices: node.output![1] });
      // Outputs are typed from the input (create refuses any type but float32 once all types are known).
      knownTypes.set(node.output![1], DataType.INT64);
      if (node.output![0]) knownTypes.set(node.output![0], knownTypes.get(inputs[0]) ?? DataType.FLOAT);
    } else {
      if (!inputs[0] || !inputs[1]) throw new Error(`${label}: inputs X and I are required`);
      if (!node.output?.[0]) throw new Error(`${label}: output Y is required`);
      steps.push({ kind: 'maxUnpool', label, attributes: readMaxUnpool(node, i), values: inputs[0], indices: inputs[1], outputShape: inputs[2] || null, output: node.output[0] });
      knownTypes.set(node.output[0], knownTypes.get(inputs[0]) ?? DataType.FLOAT);
    }
  }
  closePart();

  // Who reads what, step by step.
  const readers = new Map<string, number[]>();
  const addReader = (name: string, step: number) => {
    if (!readers.has(name)) readers.set(name, []);
    readers.get(name)!.push(step);
  };
  const readOnCpu = new Set<string>();
  const readByArgpool = new Set<string>();
  steps.forEach((step, s) => {
    if (step.kind === 'ort') {
      const produced = new Set(step.nodes.flatMap((n) => n.output ?? []));
      const used = new Set<string>();
      for (const node of step.nodes) for (const name of valuesRead(node)) used.add(name);
      for (const name of used) {
        if (produced.has(name)) continue;
        if (initializers.has(name)) step.initializers.push(initializers.get(name)!);
        else {
          step.inputs.push(name);
          addReader(name, s);
        }
      }
    } else if (step.kind === 'maxPool') {
      addReader(step.input, s);
      readByArgpool.add(step.input);
    } else {
      for (const name of [step.values, step.indices]) {
        addReader(name, s);
        readByArgpool.add(name);
      }
      if (step.outputShape) {
        addReader(step.outputShape, s);
        readOnCpu.add(step.outputShape);
      }
    }
  });
  const returned = new Set(outputNames);
  steps.forEach((step, s) => {
    if (step.kind !== 'ort') return;
    for (const node of step.nodes) {
      for (const name of node.output ?? []) {
        if (name && (returned.has(name) || (readers.get(name) ?? []).some((r) => r > s))) step.outputs.push(name);
      }
    }
  });
  const lastUse = new Map<string, number>();
  for (const [name, list] of readers) if (!returned.has(name)) lastUse.set(name, Math.max(...list));
  const kept = steps.filter((step) => step.kind !== 'ort' || step.outputs.length > 0);
  if (kept.length !== steps.length) return planModel(encodeWithout(model, steps, kept));
  return { ...empty, split: true, steps, lastUse, readOnCpu, readByArgpool };
}

/** The model without the nodes of ORT parts whose outputs nobody reads (dead code). */
function encodeWithout(model: ModelProto, steps: Step[], kept: Step[]): Uint8Array {
  const dropped = new Set(steps.filter((s) => !kept.includes(s)).flatMap((s) => (s.kind === 'ort' ? s.nodes : [])));
  const graph = { ...model.graph!, node: (model.graph!.node ?? []).filter((n) => !dropped.has(n)) };
  return encodeModel({ ...model, graph });
}

/**
 * The sub-model of an ORT part. `typeOf` gives the element type of each value the part reads from
 * outside (ORT needs typed graph inputs); outputs carry their type when it is known.
 */
export function partModel(plan: Plan, step: OrtStep, typeOf: (name: string) => number): ModelProto {
  const graph = plan.model.graph!;
  const declared = new Map<string, ValueInfoProto>();
  for (const info of [...(graph.valueInfo ?? []), ...(graph.output ?? []), ...(graph.input ?? [])]) declared.set(info.name ?? '', info);
  const inside = new Set([...step.inputs, ...step.nodes.flatMap((n) => n.output ?? [])]);
  const input = step.inputs.map((name) => {
    const info = declared.get(name);
    if (info && elemTypeOf(info)) return info;
    const type = typeOf(name);
    if (!type) throw new Error(`InferenceSession.create: ${step.label} reads ${JSON.stringify(name)}, whose element type is unknown`);
    return tensorValueInfo(name, type);
  });
  const output = step.outputs.map((name) => {
    const info = declared.get(name);
    if (info && elemTypeOf(info)) return info;
    const type = plan.knownTypes.get(name);
    return type ? tensorValueInfo(name, type) : { name };
  });
  return {
    ...plan.model,
    graph: {
      name: `${graph.name ?? 'graph'} ${step.label}`,
      node: step.nodes,
      initializer: step.initializers,
      input,
      output,
      valueInfo: (graph.valueInfo ?? []).filter((v) => inside.has(v.name ?? '') && !step.inputs.includes(v.name ?? '')),
    },
  };
}
