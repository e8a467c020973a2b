/**
 * "Bring your own model": the inspection of an ONNX or TF.js layers model (the adapters' own
 * `inspectModel` and `inspectLayersModel`), its text form, and a run of the model through argpool's
 * path against a CPU reference. `npx argpool inspect` and `npx argpool run` (bin/) use it from
 * dist/model/; the demo's "Your model" view from the sources. Nothing here imports ORT or tfjs: the
 * engines take the caller's modules.
 */
export { inspectModel, type InspectModelOptions } from '../onnxruntime-web/inspect.js';
export { inspectLayersModel, LAYER_CLASSES, type InspectLayersOptions } from '../tfjs-layers/inspect.js';
export { formatModelReport, formatRunReport, PLACEMENT_NAMES, showShape, showValue } from './format.js';
export { modelLimits, STATED_LIMITS, type LimitOptions } from './limits.js';
export { emptyReport, sizeReport, type ReportOptions } from './reports.js';
export { readNpy, type NpyArray } from './npy.js';
export { compareEngines, compareOutput, inputFromNpy, randomInputs, seededRandom, type CompareOptions, type Comparison, type Engine, type HostTensor } from './run.js';
export { createOnnxEngines, type OnnxEngineOptions } from './engines-onnx.js';
export { createLayersEngines, type LayersEngineOptions } from './engines-layers.js';
export type * from './report.js';
