/**
 * `argpool/onnxruntime-web`: ONNX Runtime Web sessions whose MaxPool-with-Indices and MaxUnpool nodes
 * run in argpool on ORT's own WebGPU device. The application passes its own `onnxruntime-web` module.
 */
export { InferenceSession, type SessionOptions, type Feeds, type Outputs, type StepTiming, type RunTiming, type Ort, type OrtTensor } from './session.js';
export type { NanRule } from '../index.js';
export { inspectModel, type InspectModelOptions } from './inspect.js';
export type { ModelReport, PoolingInfo, StepInfo, TensorInfo, Refusal, ModelLimits, Placement, Dimension, AttributeValue } from '../model/report.js';
export type { ReportOptions } from '../model/reports.js';
export type { LimitOptions } from '../model/limits.js';
