/**
 * The "Your model" view (#model): a model dropped or picked (an .onnx file, or a TF.js model.json with
 * its weight files) is inspected as `npx argpool inspect` does it (with this page's adapter limits),
 * shown as tables, and on request run through argpool's path on this page's GPU and through a CPU
 * reference (src/model/run.ts), on random input or a dropped image, with the times, the agreement,
 * the adapter's steps and a report to download.
 *
 * `#model-status` carries data-state (idle | reading | inspected | refused | running | done | error),
 * data-model (inspections finished), data-run (runs finished) and, once the view listens for files,
 * data-ready, which the end-to-end tests wait on.
 * Whatever a file holds, the view shows a message: every step is inside a try, and a failed model
 * leaves the view ready for the next one.
 */
import packageJson from '../../package.json?raw';
import { compareEngines, randomInputs, type HostTensor } from '../../src/model/run';
import type { ModelReport, RunReport } from '../../src/model/report';
import { acceptDroppedFiles, element as viewElement } from '../views';
import { createEngines } from './engines';
import { modelFromFiles, readModel, type ModelFiles, type ReadModel } from './files';
import { imageAxes, imageInput, parseList, pixels, tensorFromImage, type Normalisation } from './input';
import { clearInspection, clearRun, renderInspection, renderRun } from './render';

const element = <T extends HTMLElement>(id: string): T => viewElement<T>('model', id);

const ui = {
  files: element<HTMLInputElement>('model-files'),
  dims: element<HTMLElement>('model-dims'),
  status: element<HTMLElement>('model-status'),
  progress: element<HTMLProgressElement>('model-progress'),
  banner: element<HTMLElement>('model-banner'),
  summary: element<HTMLOutputElement>('model-summary'),
  refusals: element<HTMLUListElement>('model-refusals'),
  inputs: element<HTMLTableElement>('model-inputs'),
  pooling: element<HTMLTableElement>('model-pooling'),
  steps: element<HTMLTableElement>('model-steps'),
  notes: element<HTMLUListElement>('model-notes'),
  runForm: element<HTMLFormElement>('model-run-controls'),
  inputKind: element<HTMLSelectElement>('model-input-kind'),
  seed: element<HTMLInputElement>('model-seed'),
  image: element<HTMLInputElement>('model-image'),
  norm: element<HTMLSelectElement>('model-norm'),
  scale: element<HTMLInputElement>('model-scale'),
  mean: element<HTMLInputElement>('model-mean'),
  std: element<HTMLInputElement>('model-std'),
  runs: element<HTMLInputElement>('model-runs'),
  run: element<HTMLButtonElement>('model-run'),
  error: element<HTMLElement>('model-error'),
  inputSource: element<HTMLElement>('model-input-source'),
  times: element<HTMLTableElement>('model-times'),
  outputs: element<HTMLTableElement>('model-outputs'),
  timedSteps: element<HTMLTableElement>('model-timed-steps'),
  download: element<HTMLButtonElement>('model-download'),
};

const VERSION = (JSON.parse(packageJson) as { version: string }).version;

type State = 'idle' | 'reading' | 'inspected' | 'refused' | 'running' | 'done' | 'error';

let files: ModelFiles | null = null;
let model: ReadModel | null = null;
let dims: Record<string, number> = {};
let picture: { bitmap: ImageBitmap; name: string } | null = null;
let lastRun: RunReport | null = null;
let busy = false;
let adapter: GPUAdapter | null = null;
let inspections = 0;
let runs = 0;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function setState(state: State, text: string): void {
  ui.status.dataset.state = state;
  ui.status.dataset.model = String(inspections);
  ui.status.dataset.run = String(runs);
  ui.status.textContent = text;
}

/** The progress indicator: indeterminate while reading, compiling and running, hidden otherwise. */
function working(on: boolean): void {
  ui.progress.hidden = !on;
  ui.progress.removeAttribute('value');
  busy = on;
  ui.run.disabled = on || !model?.report.canRun || !adapter;
  ui.files.disabled = on;
}

function showBanner(text: string): void {
  ui.banner.textContent = text;
  ui.banner.hidden = false;
}

function reportElements() {
  return { summary: ui.summary, refusals: ui.refusals, inputs: ui.inputs, pooling: ui.pooling, steps: ui.steps, notes: ui.notes };
}

function runElements() {
  return { times: ui.times, outputs: ui.outputs, steps: ui.timedSteps };
}

/** A number field per symbolic dimension; a change inspects the model again with the new values. */
function renderDims(report: ModelReport): void {
  ui.dims.replaceChildren(
    ...report.symbolicDims.map((name) => {
      const field = document.createElement('div');
      field.className = 'field';
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.id = `model-dim-${name}`;
      input.dataset.testid = `model-dim-${name}`;
      input.dataset.dim = name;
      input.type = 'number';
      input.min = '1';
      input.step = '1';
      input.value = dims[name] !== undefined ? String(dims[name]) : '';
      input.placeholder = 'set to run';
      label.htmlFor = input.id;
      label.textContent = `Dimension ${name}`;
      input.addEventListener('change', () => {
        const value = input.valueAsNumber;
        if (input.value === '') delete dims[name];
        else dims[name] = value;
        void inspect();
      });
      field.append(label, input);
      return field;
    }),
  );
}

/** Inspects the current files with the current dimensions, and shows the report. */
async function inspect(): Promise<void> {
  if (!files || busy) return;
  working(true);
  setState('reading', `Reading ${files.name}…`);
  ui.error.textContent = '';
  try {
    model = await readModel(files, { dims, version: VERSION, ...(adapter ? { device: adapter } : {}) });
    // Dimensions given for another model are dropped, so that they do not linger in the report.
    for (const name of Object.keys(dims)) if (!model.report.symbolicDims.includes(name)) delete dims[name];
    inspections++;
    renderInspection(model.report, reportElements(), files.name);
    renderDims(model.report);
    const refused = !model.report.canRun;
    setState(
      refused ? 'refused' : 'inspected',
      refused
        ? `${files.name} cannot run: ${model.report.refusals[0].message}${model.report.refusals.length > 1 ? ` (and ${model.report.refusals.length - 1} more)` : ''}`
        : adapter
          ? `${files.name} can run. Press Run to compare argpool's path with the reference.`
          : `${files.name} can run, but this browser has no WebGPU adapter to run it on.`,
    );
  } catch (error) {
    model = null;
    inspections++;
    clearInspection(reportElements());
    setState('error', `${files.name} could not be read: ${message(error)}`);
  } finally {
    working(false);
    ui.download.disabled = !model;
  }
}

async function useFiles(list: File[]): Promise<void> {
  if (busy) {
    ui.error.textContent = 'Wait for the current step to finish before giving another model.';
    return;
  }
  const images = list.filter((f) => f.type.startsWith('image/'));
  if (images.length === list.length && list.length > 0 && model) {
    await useImage(images[0]);
    return;
  }
  const found = modelFromFiles(list.filter((f) => !f.type.startsWith('image/')));
  lastRun = null;
  clearRun(runElements());
  if ('error' in found) {
    files = null;
    model = null;
    inspections++;
    clearInspection(reportElements());
    ui.dims.replaceChildren();
    working(false);
    ui.download.disabled = true;
    setState('error', found.error);
    return;
  }
  files = found;
  dims = {};
  await inspect();
}

async function useImage(file: File): Promise<void> {
  try {
    const bitmap = await createImageBitmap(file);
    picture?.bitmap.close();
    picture = { bitmap, name: file.name };
    ui.inputKind.value = 'image';
    ui.error.textContent = '';
    ui.inputSource.textContent = `Image: ${file.name}, ${bitmap.width} × ${bitmap.height}`;
    // An image fills the symbolic height and width it meets (at most 512 pixels on a side).
    const input = model ? imageInput(model.report) : null;
    if (model && input?.shape) {
      const axes = imageAxes(model.report);
      const fit = Math.min(1, 512 / Math.max(bitmap.width, bitmap.height));
      let changed = false;
      for (const [axis, size] of [[axes.height, bitmap.height], [axes.width, bitmap.width]] as const) {
        const d = input.shape[axis];
        if (typeof d === 'string' && d !== 'batch' && dims[d] === undefined) {
          dims[d] = Math.max(1, Math.round(size * fit));
          changed = true;
        }
      }
      if (changed) await inspect();
    }
  } catch {
    ui.error.textContent = `Could not read ${file.name} as an image (${file.type || 'unknown type'}).`;
  }
}

function normalisation(): Normalisation {
  if (ui.norm.value === 'scale') {
    const scale = Number(ui.scale.value);
    if (!Number.isFinite(scale)) throw new RangeError(`Scale must be a number, got "${ui.scale.value}"`);
    return { kind: 'scale', scale };
  }
  const std = parseList(ui.std.value, 'Std');
  if (std.some((s) => s === 0)) throw new RangeError('Std must not hold 0');
  return { kind: 'mean-std', mean: parseList(ui.mean.value, 'Mean'), std };
}

/** The run's inputs: the image for the image input when asked for, random values for the rest. */
function buildInputs(report: ModelReport): (HostTensor & { source: string })[] {
  const seed = ui.seed.valueAsNumber;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`The seed must be a whole number of at least 0, got "${ui.seed.value}"`);
  const target = ui.inputKind.value === 'image' ? imageInput(report) : null;
  if (ui.inputKind.value === 'image') {
    if (!picture) throw new RangeError('Drop or pick an image first, or choose random input.');
    if (!target) throw new RangeError('No input of this model takes an image (rank 4 with 1, 3 or 4 channels).');
  }
  const random = randomInputs({ ...report, inputs: report.inputs.filter((i) => i !== target) }, seed).map((t) => ({ ...t, source: `random, uniform in [0, 1), seed ${seed}` }));
  if (!target) return random;
  const shape = target.resolvedShape!;
  const axes = imageAxes(report);
  const norm = normalisation();
  const tensor = tensorFromImage(report, target, pixels(picture!.bitmap, shape[axes.width], shape[axes.height]), norm);
  const how = norm.kind === 'scale' ? `pixel / 255 × ${norm.scale}` : `(pixel / 255 − [${norm.mean.join(', ')}]) / [${norm.std.join(', ')}]`;
  const image = { ...tensor, source: `${picture!.name}, resized to ${shape[axes.width]} × ${shape[axes.height]}, ${how}` };
  return report.inputs.map((i) => (i === target ? image : random.find((t) => t.name === i.name)!));
}

async function adapterWords(): Promise<string> {
  const info = adapter?.info;
  const words = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(', ');
  return `${words || 'unknown adapter'}${(info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ? ' (a fallback adapter: a CPU emulation of a GPU)' : ''}`;
}

async function run(): Promise<void> {
  const current = model;
  if (!current?.report.canRun || busy || !adapter) return;
  const report = current.report;
  let inputs: (HostTensor & { source: string })[];
  try {
    inputs = buildInputs(report);
  } catch (error) {
    const needed = (error as { dims?: string[] }).dims;
    ui.error.textContent = `${message(error)}${needed?.length ? ': set them in the Model panel' : ''}`;
    return;
  }
  ui.error.textContent = '';
  ui.inputSource.textContent = `Inputs: ${inputs.map((i) => `${i.name} [${i.shape.join(', ')}] (${i.source})`).join('; ')}`;
  lastRun = null;
  clearRun(runElements());
  working(true);
  setState('running', 'Compiling: creating the sessions of both paths…');
  let engines: Awaited<ReturnType<typeof createEngines>> | null = null;
  try {
    engines = await createEngines(current);
    const comparison = await compareEngines(engines.argpool, engines.reference, inputs, {
      runs: Math.max(1, Math.min(20, ui.runs.valueAsNumber || 1)),
      tolerance: 1e-3,
      labelAgreement: 0.995,
      channelAxis: (output) => (report.format === 'onnx' ? 1 : output.shape.length - 1),
      onProgress: (text) => setState('running', `Running: ${text}…`),
    });
    lastRun = {
      tool: 'argpool run',
      version: VERSION,
      environment: navigator.userAgent,
      adapter: await adapterWords(),
      inspection: report,
      inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, source: t.source })),
      engines: comparison.engines,
      outputs: comparison.outputs,
      ...(comparison.steps ? { steps: comparison.steps } : {}),
      tolerance: 1e-3,
      labelAgreement: 0.995,
      notes: [
        report.format === 'onnx'
          ? "argpool's path: the argpool/onnxruntime-web adapter (ORT's WebGPU provider for the parts, argpool for the pooling nodes, on ORT's device); the reference: ORT's wasm provider, single-threaded"
          : "argpool's path: TF.js's webgpu backend with argpool/tfjs-layers; the reference: TF.js's cpu backend (argpool's CPU reference for the two layers)",
        'each run moves the inputs from the CPU and reads every output back; the first run of each path compiles its shaders',
      ],
      ok: comparison.ok,
    };
    runs++;
    renderRun(lastRun, runElements());
    const [mine, theirs] = comparison.engines;
    setState(
      comparison.ok ? 'done' : 'error',
      `${comparison.ok ? 'Done: the outputs agree' : 'Done: the outputs DIFFER'} (argpool's path ${mine.medianMs.toFixed(1)} ms per run, the reference ${theirs.medianMs.toFixed(1)} ms).`,
    );
  } catch (error) {
    runs++;
    setState('error', `The run failed: ${message(error)}`);
  } finally {
    await engines?.argpool.release().catch(() => undefined);
    await engines?.reference.release().catch(() => undefined);
    working(false);
  }
}

function download(): void {
  const content = lastRun ?? model?.report;
  if (!content) return;
  const blob = new Blob([`${JSON.stringify(content, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `argpool-${lastRun ? 'run' : 'inspect'}-${(files?.name ?? 'model').replace(/[^\w.-]+/g, '_')}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function startModelView(): Promise<void> {
  ui.files.addEventListener('change', () => void useFiles(Array.from(ui.files.files ?? [])));
  ui.image.addEventListener('change', () => {
    const file = ui.image.files?.[0];
    if (file) void useImage(file);
  });
  acceptDroppedFiles('model', (list) => void useFiles(list));
  ui.runForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  ui.download.addEventListener('click', download);
  try {
    adapter = (await navigator.gpu?.requestAdapter()) ?? null;
  } catch {
    adapter = null;
  }
  if (!adapter) {
    showBanner(
      navigator.gpu
        ? 'The browser offers WebGPU but found no adapter: models are inspected (with the stated limits), but cannot run here.'
        : 'WebGPU is not available in this browser (no navigator.gpu): models are inspected (with the stated limits), but cannot run here. Use a browser with WebGPU, served from https or localhost.',
    );
  }
  setState('idle', 'Drop a model anywhere on this view, or pick its files.');
  ui.status.dataset.ready = 'true';
}
