/**
 * The segmentation view (#segmentation, the page's default): an image from the shared generator, a
 * file, a drop or drawing, run through the trained SegNet on three paths (model.ts); the argpool
 * path's class map over the image, per-class areas, each encoder level's argmax map, and the times
 * and agreement of all three paths.
 *
 * Runs never overlap: a change while a run is in flight marks another run as pending, and only the
 * latest image is computed. `#seg-status` carries data-state (starting | running | done | error) and
 * data-run (runs finished so far), which the end-to-end tests wait on.
 */
import modelUrl from '../../models/segnet-shapes.onnx?url';
import { acceptDroppedImages, element as viewElement } from '../views';
import { agreement, createPaths, indicesAgreement, PATH_LABELS, type PathName, type PathResult, type Paths } from './model';
import { decodePicture, imageFromPicture, paintShape, pickColour, PLANE, seededRandom, shapeFromDrag, shapeMask, SIZE, type DrawKind } from './image';
import { CLASS_COLOURS, drawArgmax, drawClassMap, drawImage, drawOverlay, SILENT_COLOUR, TAP_COLOURS, TAP_NAMES, type ArgmaxMode } from './render';
import { CLASS_NAMES, generateShapes, type Point } from './shapes';
import type { TfjsEngine, TfjsResult } from './tfjs';

const element = <T extends HTMLElement>(id: string): T => viewElement<T>('segmentation', id);

const ui = {
  form: element<HTMLFormElement>('seg-controls'),
  seed: element<HTMLInputElement>('seg-seed'),
  newSample: element<HTMLButtonElement>('seg-new'),
  file: element<HTMLInputElement>('seg-file'),
  draw: element<HTMLSelectElement>('seg-draw'),
  opacity: element<HTMLInputElement>('seg-opacity'),
  error: element<HTMLElement>('seg-error'),
  banner: element<HTMLElement>('seg-banner'),
  status: element<HTMLElement>('seg-status'),
  source: element<HTMLElement>('seg-source'),
  input: element<HTMLCanvasElement>('seg-input'),
  overlay: element<HTMLCanvasElement>('seg-overlay'),
  overlayFrom: element<HTMLElement>('seg-overlay-from'),
  truth: element<HTMLCanvasElement>('seg-truth'),
  truthFigure: element<HTMLElement>('seg-truth-figure'),
  truthDetail: element<HTMLElement>('seg-truth-detail'),
  areas: element<HTMLTableElement>('seg-areas'),
  times: element<HTMLTableElement>('seg-times'),
  steps: element<HTMLTableElement>('seg-steps'),
  argmax: element<HTMLElement>('seg-argmax'),
  argmaxMode: element<HTMLSelectElement>('seg-argmax-mode'),
  tapKey: element<HTMLElement>('seg-tap-key'),
  tfjs: element<HTMLInputElement>('seg-tfjs'),
};

/** The TF.js engine's row label (its module loads only when the engine is switched on). */
const TFJS_LABEL = 'TF.js WebGPU + argpool/tfjs-layers';

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

interface Input {
  image: Float32Array<ArrayBuffer>;
  /** The generator's labels (updated by drawing), or null for a picture. */
  truth: Uint8Array | null;
  description: string;
  /** Shapes drawn on it so far. */
  drawn: number;
}

let input: Input;
let paths: Paths | null = null;
let pathsReady: Promise<void>;
/** Paths turned off after they started (the GPU device was lost), with the reason. */
const lost: Partial<Record<PathName, string>> = {};
/** The ORT paths' results, and the TF.js engine's when it ran. */
type Results = Partial<Record<PathName, PathResult>> & { tfjs?: TfjsResult };
let results: Results = {};
/** The TF.js engine, started on first use (a rejected promise keeps its reason for the row). */
let tfjsEngine: Promise<TfjsEngine> | null = null;
/** The path whose class map and argmax maps are shown. */
let shown: PathName | null = null;

let running = false;
let pending = false;
let runsFinished = 0;
let drawCounter = 0;

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function showBanner(text: string): void {
  ui.banner.textContent = text;
  ui.banner.hidden = false;
}

function setState(state: 'starting' | 'running' | 'done' | 'error', text: string): void {
  ui.status.dataset.state = state;
  ui.status.dataset.run = String(runsFinished);
  ui.status.textContent = text;
}

function showError(text: string): void {
  ui.error.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

async function startPaths(): Promise<void> {
  const webgpu = typeof navigator !== 'undefined' && !!navigator.gpu;
  if (!webgpu) {
    showBanner(
      'WebGPU is not available in this browser (navigator.gpu is undefined): the argpool and ORT WebGPU paths are off, ' +
        'and the page shows ONNX Runtime’s wasm (CPU) results alone. Use a browser with WebGPU, served from https or localhost, to run argpool.',
    );
  }
  try {
    setState('starting', 'Loading the model…');
    const response = await fetch(modelUrl);
    if (!response.ok) throw new Error(`fetching the model (${modelUrl}) answered ${response.status} ${response.statusText}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    paths = await createPaths(bytes, webgpu, (text) => setState('starting', text));
  } catch (error) {
    setState('error', `The model could not start: ${message(error)}`);
    showBanner(`The model could not start: ${message(error)}`);
    throw error;
  }
  if (webgpu && paths.missing.argpool) showBanner(`WebGPU is present but ${paths.missing.argpool}; the page shows the other paths.`);
  else if (webgpu && paths.missing.ortWebgpu) showBanner(`${paths.missing.ortWebgpu}; that row stays empty.`);
  const device = paths.device;
  if (device) {
    device.lost.then((info) => {
      const reason = `the GPU device was lost (${info.reason}${info.message ? `: ${info.message.replace(/\.$/, '')}` : ''})`;
      lost.argpool = lost.ortWebgpu = reason;
      showBanner(`The GPU device was lost (${info.reason}). The WebGPU paths are off; the page shows ONNX Runtime’s wasm results. Reload it to try the GPU again.`);
      requestRun();
    });
  }
  fillArgmaxModes();
}

function runnable(): PathName[] {
  return (paths?.available ?? []).filter((p) => !lost[p]);
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

function readSeed(): number {
  const value = ui.seed.valueAsNumber;
  if (ui.seed.value.trim() === '' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`The seed must be a whole number from 0 to 4294967295, got "${ui.seed.value}"`);
  }
  return value;
}

function useSeed(): boolean {
  let seed: number;
  try {
    seed = readSeed();
  } catch (error) {
    showError(message(error));
    return false;
  }
  showError('');
  ui.file.value = '';
  const sample = generateShapes(seed);
  const kinds = sample.scene.shapes.map((s) => s.kind).join(', ');
  input = { image: sample.image, truth: sample.labels, description: `generated, seed ${seed}: ${kinds}`, drawn: 0 };
  drawInput();
  return true;
}

async function useFile(file: File): Promise<void> {
  let picture: ImageBitmap;
  try {
    picture = await decodePicture(file);
  } catch (error) {
    showError(message(error));
    return;
  }
  const { image, fit } = imageFromPicture(picture);
  input = { image, truth: null, description: `${file.name}, ${picture.width} × ${picture.height}${fit ? `, ${fit}` : ''}`, drawn: 0 };
  picture.close();
  showError('');
  drawInput();
  requestRun();
}

function drawInput(): void {
  drawImage(ui.input, input.image);
  const drawn = input.drawn ? ` + ${input.drawn} drawn shape${input.drawn > 1 ? 's' : ''}` : '';
  ui.source.textContent = `${input.description}${drawn}`;
  ui.truthFigure.hidden = !input.truth;
  if (input.truth) {
    drawClassMap(ui.truth, input.truth);
    ui.truthDetail.textContent = input.drawn ? 'with the drawn shapes' : 'from the generator';
  }
}

// Drawing: drag on the input image.
let drag: { from: Point; pointer: number } | null = null;

function imagePoint(event: PointerEvent): Point {
  const box = ui.input.getBoundingClientRect();
  return [((event.clientX - box.left) / box.width) * SIZE, ((event.clientY - box.top) / box.height) * SIZE];
}

function previewDrag(to: Point): void {
  if (!drag) return;
  drawImage(ui.input, input.image);
  const shape = shapeFromDrag(ui.draw.value as DrawKind, drag.from, to, [1, 1, 1]);
  if (!shape) return;
  const ctx = ui.input.getContext('2d')!;
  ctx.save();
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 2]);
  ctx.strokeStyle = '#ffffff';
  ctx.beginPath();
  if (shape.kind === 'disc') ctx.arc(shape.centre[0], shape.centre[1], shape.radius, 0, 2 * Math.PI);
  else if (shape.kind === 'rectangle') ctx.rect(shape.centre[0] - shape.size[0] / 2, shape.centre[1] - shape.size[1] / 2, shape.size[0], shape.size[1]);
  else {
    ctx.moveTo(...shape.vertices[0]);
    ctx.lineTo(...shape.vertices[1]);
    ctx.lineTo(...shape.vertices[2]);
    ctx.closePath();
  }
  ctx.stroke();
  ctx.restore();
}

ui.input.addEventListener('pointerdown', (event) => {
  if (event.button !== 0) return;
  ui.input.setPointerCapture(event.pointerId);
  drag = { from: imagePoint(event), pointer: event.pointerId };
  event.preventDefault();
});
ui.input.addEventListener('pointermove', (event) => {
  if (drag && event.pointerId === drag.pointer) previewDrag(imagePoint(event));
});
ui.input.addEventListener('pointerup', (event) => {
  if (!drag || event.pointerId !== drag.pointer) return;
  const from = drag.from;
  drag = null;
  const to = imagePoint(event);
  const kind = ui.draw.value as DrawKind;
  const outline = shapeFromDrag(kind, from, to, [0, 0, 0]);
  if (!outline) {
    drawInput();
    showError('Drag further to draw a shape (at least 3 pixels of the 128 × 128 image).');
    return;
  }
  const mask = shapeMask(outline);
  if (!mask.some((v) => v)) {
    drawInput();
    showError('That shape covers no pixel centre of the image; drag a larger one.');
    return;
  }
  const random = seededRandom(0x5eed + drawCounter++);
  const { colour, distance } = pickColour(input.image, mask, random);
  paintShape(input.image, input.truth, { ...outline, colour }, mask, random);
  input.drawn++;
  showError(distance < 0.3 ? `No colour is 0.3 away from every pixel under this ${kind}; the farthest one found is ${distance.toFixed(2)} away.` : '');
  drawInput();
  requestRun();
});
ui.input.addEventListener('pointercancel', () => {
  drag = null;
  drawInput();
});

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

function requestRun(): void {
  pending = true;
  if (ui.status.dataset.state !== 'starting') setState('running', 'Running…');
  if (!running) void drain();
}

async function drain(): Promise<void> {
  running = true;
  let outcome = { ok: false, text: '' };
  try {
    await pathsReady;
  } catch {
    running = false;
    pending = false;
    runsFinished++;
    setState('error', ui.status.textContent ?? 'The model could not start');
    return;
  }
  while (pending) {
    pending = false;
    outcome = await runOnce();
  }
  running = false;
  runsFinished++;
  setState(outcome.ok ? 'done' : 'error', outcome.text);
}

async function runOnce(): Promise<{ ok: boolean; text: string }> {
  const image = input.image.slice();
  const started = performance.now();
  const next: Partial<Record<PathName, PathResult>> = {};
  const errors: Partial<Record<PathName, string>> = {};
  const order = runnable();
  for (const [i, path] of order.entries()) {
    setState('running', `Running ${PATH_LABELS[path]} (${i + 1} of ${order.length})…`);
    try {
      next[path] = await paths!.run(path, image);
    } catch (error) {
      errors[path] = lost[path] ?? message(error);
    }
    if (pending) break; // a newer image is waiting: show that one instead
    if (i === 0 && next[path]) showResults(next, errors);
  }
  const tfjs = ui.tfjs.checked && !pending;
  if (tfjs) {
    setState('running', `Running ${TFJS_LABEL}…`);
    try {
      tfjsEngine ??= import('./tfjs').then((module) => module.createTfjsEngine());
      (next as Results).tfjs = await (await tfjsEngine).run(image);
    } catch (error) {
      (errors as Record<string, string>).tfjs = message(error);
    }
  }
  if (pending) return { ok: true, text: 'Superseded' };
  results = next;
  showResults(next, errors);
  const elapsed = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const failed = Object.entries(errors);
  if (failed.length > 0) {
    const [path, text] = failed[0];
    showError(`${path === 'tfjs' ? TFJS_LABEL : PATH_LABELS[path as PathName]} failed: ${text}`);
    return { ok: false, text: `Failed after ${elapsed}` };
  }
  const ran = order.length + (tfjs ? 1 : 0);
  return { ok: true, text: `Done in ${elapsed} (${ran} path${ran > 1 ? 's' : ''})` };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function formatMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0);
}

function percent(share: number): string {
  return share === 1 ? '100%' : `${(100 * share).toFixed(share > 0.999 ? 2 : 1)}%`;
}

function cells(values: string[], header = false): HTMLTableRowElement {
  const tr = document.createElement('tr');
  values.forEach((text, i) => {
    const cell = document.createElement(header && i === 0 ? 'th' : 'td');
    if (header && i === 0) cell.setAttribute('scope', 'row');
    cell.textContent = text;
    tr.append(cell);
  });
  return tr;
}

function showResults(current: Partial<Record<PathName, PathResult>>, errors: Partial<Record<PathName, string>>): void {
  shown = (['argpool', 'ortWasm', 'ortWebgpu'] as PathName[]).find((p) => current[p]) ?? null;
  const main = shown ? current[shown]! : null;
  if (main) {
    drawOverlay(ui.overlay, input.image, main.labels, ui.opacity.valueAsNumber);
    ui.overlayFrom.textContent = `(${PATH_LABELS[main.path]})`;
    ui.overlay.dataset.path = main.path;
    showAreas(main.labels);
    showArgmax(main);
  }
  showTimes(current, errors);
  showSteps(current.argpool);
}

function showAreas(labels: Uint8Array): void {
  const counts = [0, 0, 0, 0];
  for (const label of labels) counts[label]++;
  const truth = input.truth;
  const body = ui.areas.tBodies[0];
  body.replaceChildren(
    ...CLASS_NAMES.map((name, k) => {
      let iou = '–';
      if (truth) {
        let both = 0;
        let either = 0;
        for (let p = 0; p < PLANE; p++) {
          const a = labels[p] === k;
          const b = truth[p] === k;
          if (a && b) both++;
          if (a || b) either++;
        }
        iou = either === 0 ? 'absent' : (both / either).toFixed(3);
      }
      const row = cells([`${k} ${name}`, counts[k].toLocaleString('en'), percent(counts[k] / PLANE), iou], true);
      row.dataset.class = String(k);
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = CLASS_COLOURS[k];
      row.cells[0].prepend(swatch);
      return row;
    }),
  );
}

function showTimes(current: Partial<Record<PathName, PathResult>>, errors: Partial<Record<PathName, string>>): void {
  const reference = current.argpool;
  const rows = (['argpool', 'ortWebgpu', 'ortWasm'] as PathName[]).map((path) => {
    const result = current[path];
    let values: string[];
    if (result) {
      const labels = reference && path !== 'argpool' ? percent(agreement(result.labels, reference.labels)) : '–';
      const indices = reference && path !== 'argpool' ? percent(indicesAgreement(result, reference)) : '–';
      values = [PATH_LABELS[path], `${formatMs(result.ms)} ms${result.first ? ' (first run: compiles)' : ''}`, labels, indices];
    } else {
      const why = errors[path] ? `failed: ${errors[path]}` : (lost[path] ?? paths?.missing[path] ?? (running ? 'running…' : 'not run'));
      values = [PATH_LABELS[path], why, '–', '–'];
    }
    const row = cells(values, true);
    row.dataset.path = path;
    row.dataset.state = result ? 'done' : errors[path] ? 'error' : 'off';
    if (result?.first) row.title = 'The first run of a path includes compiling its shaders and kernels: run another image for a steady time.';
    if (result) {
      row.dataset.ms = String(result.ms);
      if (reference && path !== 'argpool') row.dataset.labelAgreement = String(agreement(result.labels, reference.labels));
    }
    return row;
  });
  ui.times.tBodies[0].replaceChildren(...rows, tfjsRow((current as Results).tfjs, (errors as Record<string, string>).tfjs, reference));
}

/** The TF.js engine's row: its time, and its labels and indices against the argpool adapter's. */
function tfjsRow(result: TfjsResult | undefined, error: string | undefined, reference: PathResult | undefined): HTMLTableRowElement {
  let values: string[];
  if (result) {
    const labels = reference ? percent(agreement(result.labels, reference.labels)) : '–';
    const indices = reference ? percent(indicesAgreement(result as unknown as PathResult, reference)) : '–';
    values = [TFJS_LABEL, `${formatMs(result.ms)} ms${result.first ? ' (first run: compiles)' : ''}`, labels, indices];
  } else {
    const why = error ? `failed: ${error}` : ui.tfjs.checked ? (running ? 'running…' : 'not run') : 'off (tick “Also run the TF.js engine”)';
    values = [TFJS_LABEL, why, '–', '–'];
  }
  const row = cells(values, true);
  row.dataset.path = 'tfjs';
  row.dataset.state = result ? 'done' : error ? 'error' : 'off';
  if (result) {
    row.dataset.ms = String(result.ms);
    if (reference) {
      row.dataset.labelAgreement = String(agreement(result.labels, reference.labels));
      row.dataset.indexAgreement = String(indicesAgreement(result as unknown as PathResult, reference));
    }
  }
  return row;
}

function showSteps(result: PathResult | undefined): void {
  const body = ui.steps.tBodies[0];
  const foot = ui.steps.tFoot!;
  if (!result?.steps) {
    body.replaceChildren(cells(['no argpool run', '–', '–']));
    foot.replaceChildren();
    return;
  }
  body.replaceChildren(
    ...result.steps.map((step) => {
      const row = cells([step.label, formatMs(step.ms), step.gpuMs === undefined ? '' : formatMs(step.gpuMs)]);
      row.dataset.kind = step.kind;
      return row;
    }),
  );
  const sum = (filter: (label: string, kind: string) => boolean, key: 'ms' | 'gpuMs') =>
    result.steps!.filter((s) => filter(s.label, s.kind)).reduce((total, s) => total + (s[key] ?? 0), 0);
  const ortParts = (label: string, kind: string) => kind === 'ort';
  const pooling = (label: string, kind: string) => kind === 'argpool' && label.startsWith('MaxPool');
  const unpooling = (label: string, kind: string) => kind === 'argpool' && label.startsWith('MaxUnpool');
  const gpu = (filter: (label: string, kind: string) => boolean) => (result.steps!.some((s) => filter(s.label, s.kind) && s.gpuMs !== undefined) ? formatMs(sum(filter, 'gpuMs')) : '');
  const stage = (name: string, filter: (label: string, kind: string) => boolean) => {
    const row = cells([name, formatMs(sum(filter, 'ms')), gpu(filter)], true);
    row.dataset.stage = name;
    return row;
  };
  foot.replaceChildren(
    stage('ORT parts', ortParts),
    stage('argpool pooling', pooling),
    stage('argpool unpooling', unpooling),
    stage('all steps', () => true),
  );
}

function argmaxMode(): ArgmaxMode {
  const value = ui.argmaxMode.value;
  return value === 'majority' ? { kind: 'majority' } : { kind: 'channel', channel: Number(value) };
}

function fillArgmaxModes(): void {
  const first = paths?.model.levels[0];
  if (!first) return;
  // Channel counts differ per level; a channel past a level's count shows its last channel.
  for (let c = 0; c < 16; c++) ui.argmaxMode.add(new Option(`channel ${c} alone`, String(c)));
}

function showArgmax(result: PathResult): void {
  const levels = paths!.model.levels;
  const mode = argmaxMode();
  const existing = new Map(Array.from(ui.argmax.querySelectorAll<HTMLElement>(':scope > figure')).map((f) => [f.dataset.level ?? '', f]));
  levels.forEach((level, l) => {
    const indices = result.indices[l];
    const [, channels, outH, outW] = indices.dims;
    const inH = l === 0 ? SIZE : result.indices[l - 1].dims[2];
    const inW = l === 0 ? SIZE : result.indices[l - 1].dims[3];
    let figure = existing.get(String(l + 1));
    if (!figure) {
      figure = document.createElement('figure');
      figure.dataset.level = String(l + 1);
      figure.dataset.testid = `seg-argmax-${l + 1}`;
      const canvas = document.createElement('canvas');
      canvas.className = 'view';
      canvas.setAttribute('role', 'img');
      const caption = document.createElement('figcaption');
      caption.append(Object.assign(document.createElement('span'), { className: 'title' }), Object.assign(document.createElement('span'), { className: 'detail muted' }));
      figure.append(canvas, caption);
      ui.argmax.append(figure);
    }
    const canvas = figure.querySelector('canvas')!;
    const share = drawArgmax(canvas, indices, result.pooled[l], { inH, inW, kernel: level.kernel, stride: level.stride }, mode);
    const which = mode.kind === 'majority' ? `most of the ${channels} channels that responded` : `channel ${Math.min(mode.channel, channels - 1)} of ${channels}`;
    figure.querySelector('.title')!.textContent = `Level ${l + 1}: ${level.node}, ${outW} × ${outH}`;
    const taps = share.taps.map((s, t) => `${TAP_NAMES[t]} ${Math.round(100 * s)}%`).join(', ');
    figure.querySelector('.detail')!.textContent = `${which}: ${taps}, no response ${Math.round(100 * share.silent)}%`;
    canvas.setAttribute('aria-label', `Argmax map of level ${l + 1}, ${outW} × ${outH}, ${which}`);
    figure.dataset.share = share.taps.join(',');
  });
}

function drawTapKey(): void {
  const entries: [string, string][] = [...TAP_NAMES.map((name, t): [string, string] => [name, TAP_COLOURS[t]]), ['no response (window all 0)', SILENT_COLOUR]];
  ui.tapKey.replaceChildren(
    ...entries.map(([name, colour]) => {
      const item = document.createElement('span');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colour;
      item.append(swatch, name);
      return item;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Controls
// ---------------------------------------------------------------------------------------------

ui.form.addEventListener('submit', (event) => event.preventDefault());
ui.seed.addEventListener('input', () => {
  if (useSeed()) requestRun();
});
ui.newSample.addEventListener('click', () => {
  ui.seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
  if (useSeed()) requestRun();
});
ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void useFile(file);
});
ui.opacity.addEventListener('input', () => {
  if (shown && results[shown]) drawOverlay(ui.overlay, input.image, results[shown]!.labels, ui.opacity.valueAsNumber);
});
ui.tfjs.addEventListener('change', () => requestRun());
ui.argmaxMode.addEventListener('change', () => {
  if (shown && results[shown]) showArgmax(results[shown]!);
});

// Drag and drop an image anywhere on the page, while this view is shown.
acceptDroppedImages(
  'segmentation',
  (file) => {
    ui.file.value = '';
    void useFile(file);
  },
  () => showError('Drop an image file (PNG, JPEG, WebP, …)'),
);

declare global {
  interface Window {
    /** For poking at the view from the console, and for the end-to-end tests. */
    argpoolSegmentation: {
      /** The last finished run's results by path. */
      readonly results: Results;
      readonly input: Input;
      readonly paths: Paths | null;
    };
  }
}
window.argpoolSegmentation = {
  get results() {
    return results;
  },
  get input() {
    return input;
  },
  get paths() {
    return paths;
  },
};

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

/**
 * Starts the view: the first sample, the sessions and the first run. main.ts calls it when the view
 * is first shown (an explicit call, since the package's `sideEffects: false` lets a bundler drop a
 * module imported for its side effects alone).
 */
export function startSegmentation(): void {
  drawTapKey();
  useSeed();
  pathsReady = startPaths();
  pathsReady.catch(() => {});
  requestRun();
}
