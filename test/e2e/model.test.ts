/**
 * End to end: the demo's "Your model" view (#model) in headless Chromium with WebGPU on SwiftShader,
 * served by Vite. Models go in through the file picker and by drag and drop: the trained SegNet as
 * ONNX and as a TF.js layers model with the Keras SegNet layers, a model with symbolic height and
 * width, and files that must be refused with their messages (random bytes, a truncated model, an
 * unsupported operator, hostile sizes, a weights manifest that lies), after which the next model runs.
 * Every test checks that nothing reached the console as an error.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import type { ViteDevServer } from 'vite';
import { SCREENSHOTS, startDemo } from './harness';
import { dynamicSegnet, hugeKernel, hugeOutputShape, randomBytes, segnetOnnx, segnetTfjs, tfjsLyingManifest, truncatedSegnet, unsupportedOperator } from '../model/models';

/** Runs of the SegNet on ORT's WebGPU provider take minutes on SwiftShader. */
const RUN_TIMEOUT_MS = 420_000;
const INSPECT_TIMEOUT_MS = 60_000;

let server: ViteDevServer;
let browser: Browser;
let url: string;
let page: Page | null = null;
let errors: string[] = [];

beforeAll(async () => {
  ({ server, browser, url } = await startDemo());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  const open = page;
  page = null;
  await open?.close();
  expect(errors, 'console errors and uncaught exceptions').toEqual([]);
});

async function openView(): Promise<Page> {
  errors = [];
  page = await browser.newPage({ viewport: { width: 1400, height: 1200 }, acceptDownloads: true });
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(`${url}#model`);
  await page.waitForSelector('#model-status[data-ready="true"]', { state: 'attached' });
  return page;
}

type FileSpec = { name: string; mimeType: string; buffer: Buffer };

function file(name: string, bytes: Uint8Array | string): FileSpec {
  return { name, mimeType: name.endsWith('.json') ? 'application/json' : 'application/octet-stream', buffer: Buffer.from(typeof bytes === 'string' ? bytes : bytes) };
}

async function counter(page: Page, name: 'model' | 'run'): Promise<number> {
  return Number(await page.getAttribute('#model-status', `data-${name}`));
}

/** Does `action` and waits until the view has finished one more inspection (or run), in one of `states`. */
async function settle(page: Page, name: 'model' | 'run', states: string[], action: () => Promise<unknown>, timeout: number): Promise<string> {
  const before = await counter(page, name);
  await action();
  await page.waitForFunction(
    ([name, before, states]) => {
      const status = document.getElementById('model-status')!;
      return Number(status.dataset[name]) > before && states.includes(status.dataset.state!);
    },
    [name, before, states] as const,
    { timeout },
  );
  return (await page.getAttribute('#model-status', 'data-state'))!;
}

function pick(page: Page, files: FileSpec[], states = ['inspected']): Promise<string> {
  return settle(page, 'model', [...states, 'refused', 'error'], () => page.setInputFiles('#model-files', files), INSPECT_TIMEOUT_MS);
}

/** Drops files on the page through a drag-and-drop event, as a user's drop arrives. */
async function drop(page: Page, files: FileSpec[]): Promise<void> {
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const f of files) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ name: f.name, type: f.mimeType, bytes: Array.from(f.buffer) })));
}

/** Presses Run and waits for the run to finish: 'done', or the error state with the status text. */
async function run(page: Page): Promise<string> {
  const state = await settle(page, 'run', ['done', 'error'], () => page.click('#model-run'), RUN_TIMEOUT_MS);
  return state === 'done' ? state : `${state}: ${await page.textContent('#model-status')}`;
}

async function rows(page: Page, table: string): Promise<string[][]> {
  return page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
}

/**
 * The run's checks: both paths timed, the output's labels agreeing and, on random inputs, its values
 * within the tolerance (on a picture, near-ties of argmax flip between GPU and CPU rounding and move
 * unpooled values, so only the labels are held to it).
 */
async function expectAgreement(page: Page, labels: { shape: string; total: number; values?: 'within tolerance' | 'labels only' }): Promise<void> {
  const status = (await page.textContent('#model-status')) ?? '';
  expect(status).toMatch(/^Done: the outputs agree \(argpool's path [\d.]+ ms per run, the reference [\d.]+ ms\)\.$/);
  const times = await rows(page, 'model-times');
  expect(times).toHaveLength(2);
  for (const [, first, median] of times) {
    expect(Number(first)).toBeGreaterThan(0);
    expect(Number(median)).toBeGreaterThan(0);
  }
  const [output] = await rows(page, 'model-outputs');
  expect(output[1]).toBe(labels.shape);
  const [equal, total] = output[4].split(' of ').map((s) => parseInt(s, 10));
  expect(total).toBe(labels.total);
  expect(equal / total).toBeGreaterThan(0.995);
  if (labels.values === 'labels only') {
    expect(output[5]).toMatch(/^yes/);
    expect(Number(output[2])).toBeLessThan(0.1 * Number(output[3]));
  } else {
    expect(Number(output[2])).toBeLessThan(1e-3);
    expect(output[5]).toBe('yes');
  }
}

async function firstRefusal(page: Page): Promise<{ message: string; change: string }> {
  return page.$eval('#model-refusals li', (li) => ({
    message: li.querySelector('.model-refusal-message')?.textContent ?? '',
    change: li.querySelector('.model-refusal-change')?.textContent ?? '',
  }));
}

describe('the "Your model" view (#model)', () => {
  it('inspects the trained SegNet (ONNX), runs it through argpool and ORT wasm, and downloads the report', async () => {
    const page = await openView();
    expect(await pick(page, [file('segnet-shapes.onnx', segnetOnnx())])).toBe('inspected');
    expect(await page.textContent('#model-summary')).toBe("segnet-shapes.onnx (ONNX) can run: 8 of 8 pooling nodes on argpool's kernels, 8 ORT parts.");
    const pooling = await rows(page, 'model-pooling');
    expect(pooling.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual([...[1, 2, 3, 4].map((l) => `pool${l} MaxPool argpool`), ...[4, 3, 2, 1].map((l) => `unpool${l} MaxUnpool argpool`)]);
    expect(pooling[0][5]).toBe('[1, 16, 128, 128] → [1, 16, 64, 64]');
    expect(await rows(page, 'model-steps')).toHaveLength(16);
    expect(await rows(page, 'model-inputs')).toEqual([
      ['image', 'input', 'float32', '[1, 3, 128, 128]', '[1, 3, 128, 128]'],
      ['logits', 'output', 'float32', '[1, 4, 128, 128]', '[1, 4, 128, 128]'],
    ]);
    expect(await page.isDisabled('#model-run')).toBe(false);

    expect(await run(page)).toBe('done');
    await expectAgreement(page, { shape: '[1, 4, 128, 128]', total: 128 * 128 });
    const steps = await rows(page, 'model-timed-steps');
    expect(steps).toHaveLength(16);
    expect(steps.filter((s) => s[1] === 'argpool' && Number(s[3]) > 0)).toHaveLength(8);
    expect(steps.filter((s) => s[1] === 'ORT WebGPU')).toHaveLength(8);
    await page.screenshot({ path: `${SCREENSHOTS}/model-segnet.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#model-download')]);
    const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(report).toMatchObject({ tool: 'argpool run', ok: true, inspection: { tool: 'argpool inspect', canRun: true } });
    expect(report.engines.map((e: { role: string }) => e.role)).toEqual(['argpool', 'reference']);
    expect(report.steps).toHaveLength(16);
  });

  it('inspects the TF.js SegNet with its weights, dropped together, and runs it on a dropped image normalised by mean and std', async () => {
    const page = await openView();
    const model = segnetTfjs();
    expect(await settle(page, 'model', ['inspected', 'refused', 'error'], () => drop(page, [file('model.json', model.json), file(model.weightName, model.weights)]), INSPECT_TIMEOUT_MS)).toBe('inspected');
    expect(await page.textContent('#model-summary')).toBe("model.json (TF.js layers) can run: 8 of 8 pooling nodes on argpool's kernels.");
    const pooling = await rows(page, 'model-pooling');
    expect(pooling.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual([
      ...[1, 2, 3, 4].map((l) => `pool${l} MaxPoolingWithArgmax2D argpool`),
      ...[4, 3, 2, 1].map((l) => `unpool${l} MaxUnpooling2D argpool`),
    ]);
    expect(pooling[0][3]).toBe('pool_size [2, 2], strides [2, 2], padding same, nan first');
    const steps = await rows(page, 'model-steps');
    expect(steps.map((s) => s[2])).toEqual([...'tatatataatatatat'].map((c) => (c === 't' ? 'tfjs' : 'argpool')));
    // The batch dimension is symbolic: set it, and the shapes follow.
    expect(await settle(page, 'model', ['inspected'], () => page.fill('#model-dim-batch', '1').then(() => page.dispatchEvent('#model-dim-batch', 'change')), INSPECT_TIMEOUT_MS)).toBe('inspected');
    expect((await rows(page, 'model-pooling'))[0][5]).toBe('[1, 128, 128, 16] → [1, 64, 64, 16]');

    const png = await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(90, 60);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#2e86ab';
      ctx.fillRect(0, 0, 90, 60);
      ctx.fillStyle = '#f6c85f';
      ctx.beginPath();
      ctx.arc(45, 30, 20, 0, 2 * Math.PI);
      ctx.fill();
      return Array.from(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer()));
    });
    await drop(page, [{ name: 'picture.png', mimeType: 'image/png', buffer: Buffer.from(png) }]);
    await page.waitForFunction(() => document.getElementById('model-input-source')?.textContent === 'Image: picture.png, 90 × 60');
    expect(await page.inputValue('#model-input-kind')).toBe('image');
    await page.selectOption('#model-norm', 'mean-std');
    expect(await run(page)).toBe('done');
    expect(await page.textContent('#model-input-source')).toBe('Inputs: image [1, 128, 128, 3] (picture.png, resized to 128 × 128, (pixel / 255 − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225])');
    await expectAgreement(page, { shape: '[1, 128, 128, 4]', total: 128 * 128, values: 'labels only' });
    const times = await rows(page, 'model-times');
    expect(times.map((t) => t[0])).toEqual(['argpool/tfjs-layers on TF.js webgpu', "TF.js cpu (argpool's CPU reference for the two layers)"]);
  });

  it('takes a model with symbolic height and width: asks for them, then inspects and runs at the sizes given', async () => {
    const page = await openView();
    expect(await pick(page, [file('dynamic.onnx', dynamicSegnet())])).toBe('inspected');
    expect(await rows(page, 'model-inputs')).toContainEqual(['image', 'input', 'float32', '[1, 3, height, width]', '–']);
    await page.click('#model-run');
    await page.waitForFunction(() => document.getElementById('model-error')?.textContent !== '');
    expect(await page.textContent('#model-error')).toBe('input "image" has shape [1, 3, height, width]: its dimensions height, width need values: set them in the Model panel');
    for (const [name, value] of [['height', '40'], ['width', '56']]) {
      await settle(page, 'model', ['inspected'], () => page.fill(`#model-dim-${name}`, value).then(() => page.dispatchEvent(`#model-dim-${name}`, 'change')), INSPECT_TIMEOUT_MS);
    }
    expect((await rows(page, 'model-pooling'))[0][5]).toBe('[1, 4, 40, 56] → [1, 4, 20, 28]');
    expect(await run(page)).toBe('done');
    await expectAgreement(page, { shape: '[1, 3, 40, 56]', total: 40 * 56 });
    expect((await rows(page, 'model-timed-steps')).map((s) => s[0])).toEqual(['ORT part 0', 'MaxPool node "pool1"', 'ORT part 1', 'MaxUnpool node "unpool1"', 'ORT part 2']);
  });

  it('refuses files that are no model, broken or hostile, each with its message, and then runs the next model', async () => {
    const page = await openView();
    const model = segnetTfjs();
    const cases: [FileSpec[], string, RegExp][] = [
      [[file('random.onnx', randomBytes())], 'refused', /^the file is not an ONNX model \(the protobuf decoder stopped: .+\)$/],
      [[file('truncated.onnx', truncatedSegnet())], 'refused', /^the file ends in the middle of the model: it starts as an ONNX model \(ir_version 8\) but stops after 597,533 bytes/],
      [[file('unsupported.onnx', unsupportedOperator())], 'refused', /^Frobnicate node "frob": "Frobnicate" is not an ONNX operator \(opset 11\), so no ONNX Runtime provider can run it$/],
      [
        [file('huge-output-shape.onnx', hugeOutputShape())],
        'refused',
        /^MaxUnpool node "unpool": output_shape \[1, 1, 1048576, 1048576\] has 1,099,511,627,776 elements \(4 TiB\), over the device's maxStorageBufferBindingSize \d+(\.\d+)? [MG]iB for one tensor$/,
      ],
      [[file('huge-kernel.onnx', hugeKernel())], 'refused', /^MaxPool node "pool": kernel_shape \[1000000000, 1000000000\] has 1,000,000,000,000,000,000 taps per window/],
      [
        [file('model.json', tfjsLyingManifest()), file(model.weightName, model.weights)],
        'refused',
        /^weights group 1 \(group1-shard1of1\.bin\): its 82 weights declare 4,398,047,692,304 bytes \(4 TiB\), but the file holds 1,182,928 bytes$/,
      ],
    ];
    for (const [files, state, message] of cases) {
      expect(await pick(page, files, []), files[0].name).toBe(state);
      const refusal = await firstRefusal(page);
      expect(refusal.message, files[0].name).toMatch(message);
      expect(refusal.change, files[0].name).toMatch(/^Change: .+/);
      expect(await page.getAttribute('#model-summary', 'data-can-run')).toBe('false');
      expect(await page.isDisabled('#model-run'), files[0].name).toBe(true);
      expect(await page.textContent('#model-status')).toMatch(/ cannot run: /);
    }
    await page.screenshot({ path: `${SCREENSHOTS}/model-refused.png`, fullPage: true });
    // A file that is no model at all, dropped: said so, and nothing else is shown.
    expect(await settle(page, 'model', ['error'], () => drop(page, [file('notes.txt', 'just text')]), INSPECT_TIMEOUT_MS)).toBe('error');
    expect(await page.textContent('#model-status')).toBe('No model among the files (notes.txt): drop an .onnx file, or a TF.js model.json (a .json file) together with its weight files.');
    expect(await page.isHidden('#model-pooling')).toBe(true);

    // The page is whole: the next model inspects and runs.
    expect(await pick(page, [file('dynamic.onnx', dynamicSegnet())])).toBe('inspected');
    for (const [name, value] of [['height', '16'], ['width', '24']]) {
      await settle(page, 'model', ['inspected'], () => page.fill(`#model-dim-${name}`, value).then(() => page.dispatchEvent(`#model-dim-${name}`, 'change')), INSPECT_TIMEOUT_MS);
    }
    expect(await run(page)).toBe('done');
    await expectAgreement(page, { shape: '[1, 3, 16, 24]', total: 16 * 24 });
  });
});
