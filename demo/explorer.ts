/**
 * The pooling explorer view (#explorer): wires the controls, the input image and the GPU context to the chain in chain.ts,
 * and shows views, timings and the GPU-versus-CPU agreement after every run.
 *
 * Runs never overlap: a change while a run is in flight marks another run as pending, and only the
 * last settings are computed. `#run-status` carries data-state (starting | running | done | error)
 * and data-run (runs finished so far), which the end-to-end tests wait on.
 */
import { ArgPool, type FillMode } from '../src/index';
import { planChain, runCpuChain, runGpuChain, type ChainPlan, type ChainResult, type GpuChainResult, type OpTiming, type Settings } from './chain';
import { compareChains, describeAgreement } from './compare';
import { decodeImageFile, imageToTensor, renderSample, SAMPLES, type ImageTensor } from './images';
import { drawArgmax, drawDifference, drawRgb, drawTapKey, showViews, type ViewSpec } from './render';
import { acceptDroppedImages, element as viewElement } from './views';

/** How much the |input − reconstruction| view is amplified. */
const DIFFERENCE_GAIN = 4;

const element = <T extends HTMLElement>(id: string): T => viewElement<T>('demo', id);

const ui = {
  form: element<HTMLFormElement>('controls'),
  sample: element<HTMLSelectElement>('sample'),
  file: element<HTMLInputElement>('file'),
  kernel: element<HTMLInputElement>('kernel'),
  stride: element<HTMLInputElement>('stride'),
  padding: element<HTMLInputElement>('padding'),
  dilation: element<HTMLInputElement>('dilation'),
  ceilMode: element<HTMLInputElement>('ceil-mode'),
  fill: element<HTMLSelectElement>('fill'),
  levels: element<HTMLSelectElement>('levels'),
  argmaxChannel: element<HTMLSelectElement>('argmax-channel'),
  controlError: element<HTMLElement>('control-error'),
  banner: element<HTMLElement>('gpu-banner'),
  status: element<HTMLElement>('run-status'),
  source: element<HTMLElement>('source'),
  agreement: element<HTMLOutputElement>('agreement'),
  gpuMs: element<HTMLElement>('gpu-ms'),
  gpuMethod: element<HTMLElement>('gpu-method'),
  cpuMs: element<HTMLElement>('cpu-ms'),
  ratio: element<HTMLElement>('ratio'),
  timings: element<HTMLTableElement>('timings'),
  views: element<HTMLElement>('views'),
  figures: element<HTMLElement>('figures'),
};

/** The sample select's entry while a picked or dropped image is the input. */
const YOUR_IMAGE = '';

const CHANNEL_NAMES = ['red', 'green', 'blue'];

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

interface Input {
  tensor: ImageTensor;
  description: string;
}

let input: Input;
/** The GPU context, or null when there is none (no WebGPU, creation failed, device lost). */
let ap: ArgPool | null = null;
/** Why there is no GPU, for the agreement status. */
let gpuMissingReason = '';
let gpuReady: Promise<void>;

let running = false;
let pending = false;
let runsFinished = 0;

// ---------------------------------------------------------------------------------------------
// GPU context
// ---------------------------------------------------------------------------------------------

function showBanner(text: string): void {
  ui.banner.textContent = text;
  ui.banner.hidden = false;
}

function goCpuOnly(reason: string, banner: string): void {
  ap = null;
  gpuMissingReason = reason;
  showBanner(banner);
}

async function startGpu(): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    goCpuOnly(
      'WebGPU is not available in this browser',
      'WebGPU is not available in this browser (navigator.gpu is undefined), so the page runs on the CPU reference alone. ' +
        'Use a browser with WebGPU enabled, served from https or localhost, to see the GPU results.',
    );
    return;
  }
  let context: ArgPool;
  try {
    context = await ArgPool.create();
  } catch (error) {
    goCpuOnly(
      'no WebGPU device could be created',
      `WebGPU could not start (${message(error)}), so the page runs on the CPU reference alone.`,
    );
    return;
  }
  ap = context;
  context.device.lost.then((info) => {
    if (ap !== context) return;
    goCpuOnly(
      `the GPU device was lost (${info.reason})`,
      `The GPU device was lost (${info.reason}${info.message ? `: ${info.message.replace(/\.$/, '')}` : ''}). The page now runs on the CPU reference alone; reload it to try the GPU again.`,
    );
    requestRun();
  });
  context.device.addEventListener('uncapturederror', (event) => {
    showBanner(`The GPU reported an error: ${(event as GPUUncapturedErrorEvent).error.message}`);
  });
  // Compile the pipelines once on a tiny input, so the first timed run does not include it.
  try {
    const tiny: ImageTensor = { data: new Float32Array(3 * 16), shape: [1, 3, 4, 4] };
    await runGpuChain(context, tiny, planChain(tiny.shape, { kernel: 2, stride: 2, padding: 0, dilation: 1, ceilMode: false, fill: 'zero', levels: 1 }));
  } catch (error) {
    if (!context.lost) {
      goCpuOnly('the GPU failed a test run', `WebGPU failed a test run (${message(error)}), so the page runs on the CPU reference alone.`);
      context.destroy();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

function useSample(id: string): void {
  const sample = SAMPLES.find((s) => s.id === id) ?? SAMPLES[0];
  const canvas = renderSample(sample);
  input = { tensor: imageToTensor(canvas, canvas.width, canvas.height), description: `Sample “${sample.label}”, ${canvas.width} × ${canvas.height}` };
}

async function useFile(file: File): Promise<void> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await decodeImageFile(file);
  } catch (error) {
    showControlError(message(error));
    return;
  }
  const tensor = imageToTensor(bitmap, bitmap.width, bitmap.height);
  const [, , height, width] = tensor.shape;
  const scaled = width !== bitmap.width || height !== bitmap.height ? `, scaled to ${width} × ${height}` : '';
  input = { tensor, description: `${file.name}, ${bitmap.width} × ${bitmap.height}${scaled}` };
  bitmap.close();
  ui.sample.value = YOUR_IMAGE;
  requestRun();
}

// ---------------------------------------------------------------------------------------------
// Controls
// ---------------------------------------------------------------------------------------------

function readInteger(control: HTMLInputElement, name: string): number {
  const value = control.valueAsNumber;
  if (control.value.trim() === '' || !Number.isInteger(value)) {
    throw new RangeError(`${name} must be a whole number, got "${control.value}"`);
  }
  return value;
}

function readSettings(): Settings {
  return {
    kernel: readInteger(ui.kernel, 'Kernel'),
    stride: readInteger(ui.stride, 'Stride'),
    padding: readInteger(ui.padding, 'Padding'),
    dilation: readInteger(ui.dilation, 'Dilation'),
    ceilMode: ui.ceilMode.checked,
    fill: ui.fill.value as FillMode,
    levels: Number(ui.levels.value),
  };
}

function showControlError(text: string): void {
  ui.controlError.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

function setState(state: 'running' | 'done' | 'error', text: string): void {
  ui.status.dataset.state = state;
  ui.status.dataset.run = String(runsFinished);
  ui.status.textContent = text;
}

function requestRun(): void {
  pending = true;
  setState('running', 'Running…');
  if (!running) void drain();
}

async function drain(): Promise<void> {
  running = true;
  await gpuReady;
  let outcome: RunOutcome = { ok: false, text: '' };
  while (pending) {
    pending = false;
    outcome = await runOnce();
  }
  running = false;
  runsFinished++;
  setState(outcome.ok ? 'done' : 'error', outcome.text);
}

interface RunOutcome {
  ok: boolean;
  text: string;
}

async function runOnce(): Promise<RunOutcome> {
  const current = input;
  let plan: ChainPlan;
  let settings: Settings;
  try {
    settings = readSettings();
    plan = planChain(current.tensor.shape, settings);
  } catch (error) {
    showControlError(message(error));
    showAgreement('not-run', 'not run: fix the settings above');
    ui.views.classList.add('stale');
    ui.figures.classList.add('stale');
    return { ok: false, text: 'Settings error' };
  }
  showControlError('');
  ui.source.textContent = current.description;
  const started = performance.now();

  let gpu: GpuChainResult | null = null;
  let gpuError = '';
  const context = ap;
  if (context) {
    try {
      gpu = await runGpuChain(context, current.tensor, plan);
    } catch (error) {
      // A lost device has its own banner and handler; anything else is reported as it is.
      if (!context.lost) gpuError = message(error);
    }
  }
  let cpu: ChainResult;
  try {
    cpu = runCpuChain(current.tensor, plan);
  } catch (error) {
    showAgreement('error', `ERROR: the CPU reference failed: ${message(error)}`);
    return { ok: false, text: 'Error' };
  }

  showFigures(gpu, cpu);
  render(current.tensor, plan, gpu ?? cpu, Number(ui.argmaxChannel.value), gpu ? 'GPU' : 'CPU reference');
  ui.views.classList.remove('stale');
  ui.figures.classList.remove('stale');

  const elapsed = `${(performance.now() - started).toFixed(0)} ms`;
  if (gpuError) {
    showAgreement('error', `ERROR: the GPU run failed: ${gpuError}`);
    return { ok: false, text: `Failed after ${elapsed}` };
  }
  if (!gpu) {
    showAgreement('cpu-only', `GPU unavailable (${gpuMissingReason || 'WebGPU is not running'}): showing the CPU reference only, nothing to compare`);
    return { ok: true, text: `Done in ${elapsed} (CPU reference only)` };
  }
  const agreement = compareChains(plan, gpu, cpu);
  showAgreement(agreement.identical ? 'identical' : 'mismatch', describeAgreement(agreement));
  return { ok: true, text: `Done in ${elapsed}` };
}

function showAgreement(result: string, text: string): void {
  ui.agreement.dataset.result = result;
  ui.agreement.value = text;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function formatMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0);
}

const total = (timings: readonly OpTiming[]): number => timings.reduce((sum, t) => sum + t.ms, 0);

function showFigures(gpu: GpuChainResult | null, cpu: ChainResult): void {
  const cpuMs = total(cpu.timings);
  ui.cpuMs.textContent = `${formatMs(cpuMs)} ms`;
  if (gpu) {
    const gpuMs = total(gpu.timings);
    ui.gpuMs.textContent = `${formatMs(gpuMs)} ms`;
    ui.gpuMethod.textContent = `(${gpu.method})`;
    ui.gpuMethod.title =
      gpu.method === 'timestamp-query'
        ? 'Timestamp queries around each operation’s compute pass'
        : 'Wall time from submitting each operation to its completion (no timestamp queries on this device)';
    ui.ratio.textContent = gpuMs > 0 ? `${(cpuMs / gpuMs).toFixed(2)}×` : '–';
  } else {
    ui.gpuMs.textContent = '–';
    ui.gpuMethod.textContent = '(no GPU)';
    ui.gpuMethod.title = '';
    ui.ratio.textContent = '–';
  }
  const body = ui.timings.tBodies[0];
  body.replaceChildren(
    ...cpu.timings.map((row, i) => {
      const tr = document.createElement('tr');
      const cells = [row.label, row.shapes, gpu ? formatMs(gpu.timings[i].ms) : '–', formatMs(row.ms)];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function render(x: ImageTensor, plan: ChainPlan, result: ChainResult, channel: number, from: string): void {
  const [, , height, width] = x.shape;
  const views: ViewSpec[] = [
    { id: 'input', title: 'Input', detail: `${width} × ${height}`, draw: (c) => drawRgb(c, x.data, height, width) },
    {
      id: 'reconstruction',
      title: 'Reconstruction',
      detail: `unpooled through ${plan.levels.length} level${plan.levels.length > 1 ? 's' : ''}, ${plan.levels[0].unpool.fill} fill (${from})`,
      draw: (c) => drawRgb(c, result.unpooled[0], height, width),
    },
    {
      id: 'difference',
      title: `|Input − reconstruction| × ${DIFFERENCE_GAIN}`,
      detail: `${width} × ${height}`,
      draw: (c) => drawDifference(c, x.data, result.unpooled[0], height, width, DIFFERENCE_GAIN),
    },
  ];
  plan.levels.forEach((level, l) => {
    const [outH, outW] = level.geometry.outSpatial;
    views.push({
      id: `pooled-${level.level}`,
      title: `Level ${level.level}: pooled`,
      detail: `${outW} × ${outH} (${from})`,
      draw: (c) => drawRgb(c, result.pooled[l].values, outH, outW),
    });
    views.push({
      id: `argmax-${level.level}`,
      title: `Level ${level.level}: argmax, ${CHANNEL_NAMES[channel]}`,
      detail: `${outW} × ${outH}, tap of the maximum in each window`,
      draw: (c) => drawArgmax(c, result.pooled[l].indices, level.geometry, channel),
      key: { label: `${level.geometry.kernel.join(' × ')} taps`, draw: (c) => drawTapKey(c, level.geometry.kernel) },
    });
  });
  showViews(ui.views, views);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

for (const sample of SAMPLES) ui.sample.add(new Option(sample.label, sample.id));
// Shown (and not selectable) while the input is an image from the file picker or a drop.
const yourImage = new Option('Your image', YOUR_IMAGE);
yourImage.disabled = true;
yourImage.hidden = true;
ui.sample.add(yourImage);
useSample(SAMPLES[0].id);

ui.form.addEventListener('submit', (event) => event.preventDefault());
ui.form.addEventListener('input', (event) => {
  const target = event.target;
  if (target === ui.file) return; // handled on 'change', once the file is chosen
  if (target === ui.sample) useSample(ui.sample.value);
  requestRun();
});
ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void useFile(file);
});

// Drag and drop an image anywhere on the page, while this view is shown.
acceptDroppedImages(
  'explorer',
  (file) => void useFile(file),
  () => showControlError('Drop an image file (PNG, JPEG, WebP, …)'),
);

declare global {
  interface Window {
    /** For poking at the page from the console (and for the end-to-end tests' device-loss check). */
    argpoolDemo: { readonly ap: ArgPool | null };
  }
}
window.argpoolDemo = {
  get ap() {
    return ap;
  },
};

/**
 * Starts the view: its GPU context and first run. main.ts calls it when the view is first shown (an
 * explicit call, since the package's `sideEffects: false` lets a bundler drop a module imported for
 * its side effects alone).
 */
export function startExplorer(): void {
  gpuReady = startGpu();
  requestRun();
}
