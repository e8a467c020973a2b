/**
 * The "Your model" view's files: which of the dropped or picked files are a model (an .onnx file, or
 * a model.json with its weight files), and its inspection, made from the files' sizes before any byte
 * is read (a file over the limit is never read) and then from their contents.
 */
import { inspectModel } from '../../src/onnxruntime-web/inspect';
import { inspectLayersModel } from '../../src/tfjs-layers/inspect';
import { sizeReport, type ReportOptions } from '../../src/model/reports';
import type { ModelReport } from '../../src/model/report';

export type ModelFiles = { kind: 'onnx'; name: string; file: File } | { kind: 'tfjs-layers'; name: string; json: File; others: File[] };

/** The model among `files`, or why there is none. */
export function modelFromFiles(files: File[]): ModelFiles | { error: string } {
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (json) return { kind: 'tfjs-layers', name: json.name, json, others: files.filter((f) => f !== json) };
  const onnx = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx) return { kind: 'onnx', name: onnx.name, file: onnx };
  const names = files.map((f) => f.name).join(', ');
  return {
    error: files.length
      ? `No model among the files (${names}): drop an .onnx file, or a TF.js model.json (a .json file) together with its weight files.`
      : 'The drop held no file: drop an .onnx file, or a TF.js model.json together with its weight files.',
  };
}

/** The last part of a path in a weights manifest (`group1-shard1of1.bin`): the name a dropped file has. */
function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

/** What the run needs besides the report: the bytes of an ONNX model, or model.json and its weight files. */
export interface ReadModel {
  files: ModelFiles;
  report: ModelReport;
  onnx?: Uint8Array;
  json?: { text: string; parsed: unknown; weights: File[] };
}

/** Inspects the model: from its sizes first, then from its bytes (model.json and the weight files' sizes). */
export async function readModel(files: ModelFiles, options: ReportOptions): Promise<ReadModel> {
  if (files.kind === 'onnx') {
    const early = sizeReport('onnx', files.file.size, options);
    if (!early.canRun) return { files, report: early };
    const onnx = new Uint8Array(await files.file.arrayBuffer());
    return { files, report: inspectModel(onnx, options), onnx };
  }
  const early = sizeReport('tfjs-layers', files.json.size + files.others.reduce((n, f) => n + f.size, 0), options);
  if (!early.canRun) return { files, report: early };
  const text = await files.json.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The inspection says what is wrong with it.
  }
  const manifest = (parsed as { weightsManifest?: { paths?: unknown[] }[] } | null)?.weightsManifest;
  const weightFiles: Record<string, number> = {};
  const weights: File[] = [];
  for (const group of Array.isArray(manifest) ? manifest : []) {
    for (const path of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof path !== 'string') continue;
      const file = files.others.find((f) => f.name === baseName(path));
      if (!file) continue;
      weightFiles[path] = file.size;
      weights.push(file);
    }
  }
  return { files, report: inspectLayersModel(text, weightFiles, options), json: { text, parsed, weights } };
}
