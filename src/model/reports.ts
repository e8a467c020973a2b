/**
 * What both inspections start from: an empty report with the limits applied, and the refusal of a
 * model too large to read, which the CLI and the page also make from a file's size alone, before
 * reading it.
 */
import { modelLimits, showBytes, showCount, type LimitOptions } from './limits.js';
import type { ModelReport, Refusal } from './report.js';

export interface ReportOptions extends LimitOptions {
  /** Values of the inputs' symbolic dimensions. */
  dims?: Record<string, number>;
  /** argpool's version, copied into the report. */
  version?: string;
}

/** A report of nothing yet: no model read, refused until the inspection finds it can run. */
export function emptyReport(format: ModelReport['format'], bytes: number, options: ReportOptions = {}): ModelReport {
  // A bad value is refused and not used: shapes stay symbolic where it was given.
  const given = Object.entries(options.dims ?? {});
  const dims = Object.fromEntries(given.filter(([, v]) => Number.isSafeInteger(v) && v >= 1));
  const refusals: Refusal[] = given
    .filter(([name]) => dims[name] === undefined)
    .map(([name, v]) => ({ where: `dimension ${JSON.stringify(name)}`, value: String(v), message: `dimension ${JSON.stringify(name)} must be a positive integer, got ${v}`, change: `set ${name} to a positive integer` }));
  return {
    tool: 'argpool inspect',
    ...(options.version ? { version: options.version } : {}),
    format,
    model: { name: '', producer: '', details: '', bytes, nodes: 0 },
    canRun: false,
    inputs: [],
    outputs: [],
    symbolicDims: [],
    dims,
    pooling: [],
    steps: [],
    refusals,
    notes: [],
    limits: modelLimits(options),
  };
}

/** The refusal of a model over the size an inspection reads, or null. */
function oversizeRefusal(report: ModelReport): Refusal | null {
  const { bytes } = report.model;
  const limit = report.limits.maxModelBytes;
  if (bytes <= limit) return null;
  const what = report.format === 'onnx' ? 'the file' : 'model.json and its weights';
  return {
    where: report.format === 'onnx' ? 'the file' : 'the files',
    value: `${showCount(bytes)} bytes`,
    message: `${what} ${report.format === 'onnx' ? 'is' : 'are'} ${showBytes(bytes)}, over the ${showBytes(limit)} an inspection reads`,
    change:
      report.format === 'onnx'
        ? 'a smaller model (quantised or pruned), or a larger maxModelBytes limit'
        : 'a smaller model (quantised weights: tensorflowjs_converter --quantize_float16), or a larger maxModelBytes limit',
  };
}

/**
 * The report of a model judged by its size alone, before any byte of it is read: refused when over
 * the limit. Callers that hold a file's size (a stat, a File) use it to avoid reading a huge file.
 */
export function sizeReport(format: ModelReport['format'], bytes: number, options: ReportOptions = {}): ModelReport {
  const report = emptyReport(format, bytes, options);
  refuseOversize(report);
  return finishReport(report);
}

/** Adds the refusal of a model over the size an inspection reads; whether it did (then read nothing more). */
export function refuseOversize(report: ModelReport): boolean {
  const refusal = oversizeRefusal(report);
  if (refusal) report.refusals.push(refusal);
  return refusal !== null;
}

/** The report, which can run when nothing was refused. */
export function finishReport(report: ModelReport): ModelReport {
  report.canRun = report.refusals.length === 0;
  return report;
}
