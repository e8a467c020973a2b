/**
 * The one report format of "bring your own model": what `inspectModel` (ONNX, argpool/onnxruntime-web)
 * and `inspectLayersModel` (TF.js layers, argpool/tfjs-layers) return, what `npx argpool inspect`
 * prints (format.ts) and writes with --json, and what the demo's "Your model" view shows as tables.
 * Plain data: no class instances, no typed arrays, no bigints, so that it goes through JSON as it is.
 */

/** A dimension: a size, a symbolic name (ONNX `dim_param`, a Keras `null`), or null when nothing names it. */
export type Dimension = number | string | null;

/** A graph input or output. */
export interface TensorInfo {
  name: string;
  /** 'float32', 'int64', ...; 'unknown' when the model does not say. */
  dtype: string;
  /** The declared shape, or null when the model declares none (not even the rank). */
  shape: Dimension[] | null;
  /** The shape with every symbolic dimension set from the options' `dims`, where all are set. */
  resolvedShape?: number[];
}

/**
 * Who runs a node: argpool's kernels (on the engine's own WebGPU device), ONNX Runtime's WebGPU
 * provider, ONNX Runtime's CPU (wasm) provider, or TensorFlow.js's own kernels.
 */
export type Placement = 'argpool' | 'ort-webgpu' | 'ort-cpu' | 'tfjs';

/** An attribute as the report shows it: the value the adapter reads (defaults filled in). */
export type AttributeValue = number | string | boolean | number[];

/** One pooling node (MaxPool, MaxUnpool) or Keras pooling layer. */
export interface PoolingInfo {
  /** The node's or layer's name as the model writes it ('' when it has none). */
  name: string;
  /** How messages name it: `MaxPool node "pool1"`, `layer "pool1" (MaxPoolingWithArgmax2D)`. */
  label: string;
  /** The operator or layer class. */
  op: string;
  attributes: Record<string, AttributeValue>;
  /** The indices it writes or reads, in words ('' when it has none). */
  indexFormat: string;
  placement: Placement;
  /** Why it runs there. */
  reason: string;
  /** Its main input's shape and its output's, where the model declares them or they follow from it. */
  inputShape: Dimension[] | null;
  outputShape: Dimension[] | null;
}

/** One step of a run, in order: an ORT part (one ORT session), an argpool node, or a run of tfjs layers. */
export interface StepInfo {
  placement: Placement;
  label: string;
  /** How many nodes or layers it holds. */
  nodes: number;
  /** Its operators with counts, in first-seen order: `Conv ×2, BatchNormalization ×2, Relu ×2`. */
  ops: string;
  inputs: string[];
  outputs: string[];
}

/** Something that stops the model from running, and what to change. */
export interface Refusal {
  /** The node, layer, initializer, weight or file at fault: `MaxPool node "pool1"`, `the file`. */
  where: string;
  /** The attribute, input or field at fault, where there is one. */
  attribute?: string;
  /** Its value as written, where there is one. */
  value?: string;
  /** What is wrong, naming the node and the value. */
  message: string;
  /** What to change so that it runs. */
  change: string;
}

/**
 * The limits an inspection applies before anything is allocated. Defaults are stated maximums
 * (limits.ts); a device's own limits replace the buffer limits where they are smaller.
 */
export interface ModelLimits {
  /** The largest model file (ONNX) or model.json plus weights (TF.js) read at all. */
  maxModelBytes: number;
  /** The largest buffer one tensor may need (the device's `maxBufferSize`, or the stated maximum). */
  maxBufferBytes: number;
  /** The largest tensor a kernel may bind (the device's `maxStorageBufferBindingSize`, or the stated maximum). */
  maxBindingBytes: number;
  /** The most taps one pooling window may have (kernel volume). */
  maxWindowTaps: number;
  /** Where the buffer limits come from: 'stated maximum' or the device's description. */
  source: string;
}

export interface ModelReport {
  tool: 'argpool inspect';
  /** argpool's version, when the caller says it. */
  version?: string;
  format: 'onnx' | 'tfjs-layers';
  model: {
    /** The graph's or Keras model's name. */
    name: string;
    /** Who wrote it: ONNX `producer_name` and version, the converter of a model.json. */
    producer: string;
    /** ONNX: the opsets; TF.js: the Keras version and backend. */
    details: string;
    /** Size in bytes: the .onnx file, or model.json plus its weight files. */
    bytes: number;
    /** Nodes (ONNX) or layers (TF.js). */
    nodes: number;
  };
  /** True when nothing is refused: the adapter will create and run it. */
  canRun: boolean;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Symbolic dimensions of the inputs, in first-seen order. */
  symbolicDims: string[];
  /** The values given for symbolic dimensions (`--dim name=value`). */
  dims: Record<string, number>;
  pooling: PoolingInfo[];
  /** The parts and argpool steps a run goes through, in order (empty when refused before planning). */
  steps: StepInfo[];
  refusals: Refusal[];
  /** Facts worth knowing that do not stop the model. */
  notes: string[];
  limits: ModelLimits;
}

/** One engine's times in a `RunReport`. */
export interface EngineTiming {
  /** 'argpool' (the adapter) or 'reference' (ORT wasm, tfjs cpu). */
  role: 'argpool' | 'reference';
  /** What it is, in words: `argpool adapter: ORT WebGPU parts + argpool kernels (Dawn)`. */
  label: string;
  /** The first run (shader compilation included). */
  firstMs: number;
  /** The timed runs after it, in order. */
  runsMs: number[];
  /** Their median. */
  medianMs: number;
}

/** How one output of the argpool path compares with the reference's. */
export interface OutputComparison {
  name: string;
  shape: number[];
  dtype: string;
  /** Largest |argpool - reference| over the elements (NaN where one side has NaN and the other not). */
  maxAbsDifference: number;
  /** Largest |reference| (the scale the difference is judged against). */
  maxAbsReference: number;
  /** Elements whose NaN-ness differs between the two. */
  nanMismatches: number;
  /**
   * Labels (the first largest value over the channel axis) that agree, for outputs with channels:
   * rank 3 or more with more than one channel.
   */
  labels?: { axis: number; equal: number; total: number };
  /** Every value within the tolerance: |difference| <= tolerance * max(1, max |reference|). */
  withinTolerance: boolean;
  /**
   * The output agrees: no NaN where the other has none, and its values within the tolerance or,
   * for outputs with labels, at least `labelAgreement` of its labels equal (a GPU's and a CPU's
   * rounding flip near-ties of argmax inside the network, which moves unpooled values: on real
   * images the values then differ by more than rounding while the labels stay).
   */
  ok: boolean;
}

/** A step of the adapter's step-by-step run (`runTimed`), as reported. */
export interface StepTimingInfo {
  placement: Placement;
  label: string;
  ms: number;
  /** argpool's GPU time of the step, where the device has timestamp queries. */
  gpuMs?: number;
}

export interface RunReport {
  tool: 'argpool run';
  version?: string;
  /** Where it ran: `Node v20.20.2 (linux-x64), webgpu 0.6.2`, or the browser's user agent. */
  environment: string;
  /** The WebGPU adapter, in words. */
  adapter: string;
  inspection: ModelReport;
  inputs: { name: string; shape: number[]; dtype: string; source: string }[];
  engines: EngineTiming[];
  outputs: OutputComparison[];
  /** The adapter's step-by-step run (ONNX models). */
  steps?: StepTimingInfo[];
  /** The relative tolerance outputs were judged by: |difference| <= tolerance * max(1, max|reference|). */
  tolerance: number;
  /** The share of equal labels that makes an output with labels agree whatever its values. */
  labelAgreement: number;
  /** What the numbers measure, and what they do not. */
  notes: string[];
  ok: boolean;
}
