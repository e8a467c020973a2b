/**
 * End to end: the demo page (demo/), served by a Vite dev server started here, driven in headless
 * Chromium with WebGPU on SwiftShader. Two views: segmentation (the default, #segmentation: the
 * trained SegNet on three paths) and the pooling explorer (#explorer). Every scenario waits for the
 * view's run to finish and checks what it must show (explorer: the GPU agreed with the CPU reference;
 * segmentation: the argpool path's labels agree with ORT wasm, areas, argmax maps and the times of
 * all three paths), and that nothing reached the console as an error. Screenshots go to
 * test-results/e2e/; with ARGPOOL_DOCS_SCREENSHOT=1 the segmentation view's also to
 * docs/segmentation-demo.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { build, type ViteDevServer } from 'vite';
import { SCREENSHOTS, startDemo } from './harness';
const RUN_TIMEOUT_MS = 60_000;
/** The segmentation view runs the SegNet on ORT's WebGPU provider twice per image: slow on SwiftShader. */
const SEGMENTATION_TIMEOUT_MS = 400_000;

let server: ViteDevServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  ({ server, browser, url } = await startDemo());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface OpenPage {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
}

let current: OpenPage | null = null;

afterEach(async () => {
  if (!current) return;
  const { page, errors } = current;
  current = null;
  await page.close();
  expect(errors, 'console errors and uncaught exceptions').toEqual([]);
});

/**
 * Opens the demo (by default from the dev server) in a fresh page, on the explorer view unless told
 * otherwise, and waits for the view's first run.
 */
async function openDemo(options: { withoutWebGpu?: boolean; at?: string; view?: 'explorer' | 'segmentation' | 'default' } = {}): Promise<Page> {
  const view = options.view ?? 'explorer';
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  current = { page, errors };
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  if (options.withoutWebGpu) {
    await page.addInitScript(() => {
      Object.defineProperty(navigator, 'gpu', { value: undefined });
    });
  }
  await page.goto(`${options.at ?? url}${view === 'default' ? '' : `#${view}`}`);
  if (view === 'explorer') await waitForRun(page, 0);
  else await waitForSegmentation(page, 0);
  return page;
}

/** Waits until more than `after` runs have finished and the page has settled in `state`. */
async function waitForRun(page: Page, after: number, state: 'done' | 'error' = 'done'): Promise<void> {
  await page.waitForFunction(
    ([after, state]) => {
      const status = document.getElementById('run-status');
      return status !== null && Number(status.dataset.run) > Number(after) && status.dataset.state === state;
    },
    [after, state] as const,
    { timeout: RUN_TIMEOUT_MS },
  );
}

async function runsFinished(page: Page): Promise<number> {
  return Number(await page.getAttribute('#run-status', 'data-run'));
}

/** Does `action` (a control change) and waits for the recompute it starts. */
async function change(page: Page, action: () => Promise<unknown>, state: 'done' | 'error' = 'done'): Promise<void> {
  const before = await runsFinished(page);
  await action();
  await waitForRun(page, before, state);
}

/** What every successful GPU run must show. */
async function expectGpuAgreement(page: Page): Promise<void> {
  const agreement = (await page.textContent('#agreement')) ?? '';
  expect(agreement, 'agreement status').toMatch(/^identical: all values and indices match the CPU reference/);
  const gpuMs = parseFloat((await page.textContent('#gpu-ms')) ?? '');
  expect(gpuMs, 'GPU ms').toBeGreaterThanOrEqual(0);
  expect(await page.textContent('#gpu-method')).toMatch(/^\((timestamp-query|submit-to-done)\)$/);
  expect(parseFloat((await page.textContent('#cpu-ms')) ?? ''), 'CPU ms').toBeGreaterThanOrEqual(0);
  // One row per operation, each with a GPU figure.
  const gpuCells = await page.locator('#timings tbody tr td:nth-child(3)').allTextContents();
  expect(gpuCells.length).toBeGreaterThanOrEqual(2);
  for (const cell of gpuCells) expect(parseFloat(cell)).toBeGreaterThanOrEqual(0);
  expect(await page.isVisible('#gpu-banner'), 'WebGPU banner').toBe(false);
  expect(await page.textContent('#control-error')).toBe('');
}

/** The intrinsic size of a view's canvas. */
async function canvasSize(page: Page, view: string): Promise<[number, number]> {
  return page.$eval(`[data-testid="view-${view}"] canvas.view`, (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
}

/** A PNG made in the page (OffscreenCanvas.convertToBlob), handed back as bytes. */
async function makePng(page: Page, width: number, height: number): Promise<Buffer> {
  const bytes = await page.evaluate(
    async ([width, height]) => {
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d')!;
      const gradient = ctx.createLinearGradient(0, 0, width, height);
      gradient.addColorStop(0, '#0b6e4f');
      gradient.addColorStop(1, '#f9c80e');
      ctx.fillStyle = gradient;
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = '#e4572e';
      ctx.fillRect(width * 0.2, height * 0.2, width * 0.3, height * 0.5);
      ctx.fillStyle = '#29335c';
      ctx.beginPath();
      ctx.arc(width * 0.7, height * 0.5, height * 0.25, 0, 2 * Math.PI);
      ctx.fill();
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    },
    [width, height] as const,
  );
  return Buffer.from(bytes);
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });

describe('pooling explorer view', () => {
  it('loads every built-in sample, and the GPU agrees with the CPU reference on each', async () => {
    const page = await openDemo();
    await expectGpuAgreement(page);
    const samples = await page.$$eval('#sample option:not([disabled])', (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(samples.length).toBeGreaterThanOrEqual(4);
    for (const sample of samples) {
      await change(page, () => page.selectOption('#sample', sample));
      await expectGpuAgreement(page);
      expect(await page.textContent('#source')).toMatch(/^Sample /);
      const [width, height] = await canvasSize(page, 'input');
      expect(Math.max(width, height)).toBeLessThanOrEqual(256);
      // Default settings: kernel 2, stride 2, two levels.
      expect(await canvasSize(page, 'pooled-1')).toEqual([Math.floor(width / 2), Math.floor(height / 2)]);
      expect(await canvasSize(page, 'reconstruction')).toEqual([width, height]);
      await shot(page, `sample-${sample}`);
    }
  });

  it('recomputes at once when any control changes, and stays identical to the CPU reference', async () => {
    const page = await openDemo();
    await change(page, () => page.selectOption('#sample', 'checker'));
    const steps: [string, () => Promise<unknown>][] = [
      ['kernel-3', () => page.fill('#kernel', '3')],
      ['stride-1', () => page.fill('#stride', '1')],
      ['padding-1', () => page.fill('#padding', '1')],
      ['dilation-2', () => page.fill('#dilation', '2')],
      ['ceil-mode', () => page.check('#ceil-mode')],
      ['fill-nearest', () => page.selectOption('#fill', 'nearest')],
      ['levels-4', () => page.selectOption('#levels', '4')],
      // Keyboard: the number inputs step with the arrow keys and recompute on each step.
      [
        'stride-2-keyboard',
        async () => {
          await page.focus('#stride');
          await page.keyboard.press('ArrowUp');
        },
      ],
      ['fill-bilinear', () => page.selectOption('#fill', 'bilinear')],
      ['argmax-green', () => page.selectOption('#argmax-channel', '1')],
      ['dilation-1', () => page.fill('#dilation', '1')],
      ['ceil-mode-off', () => page.uncheck('#ceil-mode')],
      ['fill-zero', () => page.selectOption('#fill', 'zero')],
    ];
    for (const [name, action] of steps) {
      await change(page, action);
      await expectGpuAgreement(page);
      await shot(page, `control-${name}`);
    }
    expect(await page.inputValue('#stride')).toBe('2');
    const levels = await page.$$eval('#views figure', (figures) => figures.map((f) => (f as HTMLElement).dataset.view));
    expect(levels).toEqual(
      expect.arrayContaining(['input', 'reconstruction', 'difference', 'pooled-4', 'argmax-4']),
    );
    expect(await page.textContent('[data-testid="view-argmax-1"] figcaption')).toContain('green');
    expect((await page.locator('#timings tbody tr').allTextContents()).length).toBe(8);
  });

  it('takes an image from the file picker and from drag and drop, scaled to 256 px', async () => {
    const page = await openDemo();
    const png = await makePng(page, 300, 200);
    await change(page, () => page.setInputFiles('#file', { name: 'upload.png', mimeType: 'image/png', buffer: png }));
    await expectGpuAgreement(page);
    expect(await page.textContent('#source')).toBe('upload.png, 300 × 200, scaled to 256 × 171');
    expect(await canvasSize(page, 'input')).toEqual([256, 171]);
    expect(await page.inputValue('#sample'), 'the sample select no longer names a sample').toBe('');
    await shot(page, 'upload-file-picker');

    const small = await makePng(page, 90, 120);
    await change(page, () =>
      page.evaluate((bytes) => {
        const file = new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, Array.from(small)),
    );
    await expectGpuAgreement(page);
    expect(await page.textContent('#source')).toBe('dropped.png, 90 × 120');
    expect(await canvasSize(page, 'input')).toEqual([90, 120]);
    await shot(page, 'upload-drag-and-drop');

    // Back to a sample.
    await change(page, () => page.selectOption('#sample', 'rings'));
    await expectGpuAgreement(page);
    expect(await page.textContent('#source')).toMatch(/^Sample “Concentric rings”/);
  });

  it('shows bad control combinations inline next to the controls and recovers when they are fixed', async () => {
    const page = await openDemo();
    const alert = page.locator('#controls ~ [role="alert"]');

    // Kernel 9, stride 9, 4 levels: 192 × 144 → 21 × 16 → 2 × 1, smaller than the kernel at level 3.
    await change(page, () => page.fill('#kernel', '9'));
    await change(page, () => page.fill('#stride', '9'));
    await change(page, () => page.selectOption('#levels', '4'), 'error');
    await expect.poll(() => alert.textContent()).toMatch(/^Level 3 of 4 .*maxPool2d: output would be empty/);
    expect(await alert.isVisible()).toBe(true);
    expect(await page.textContent('#agreement')).toMatch(/^not run/);
    await shot(page, 'error-kernel-too-large');
    await change(page, () => page.selectOption('#levels', '2'));
    await expectGpuAgreement(page);

    // Padding more than half the kernel.
    await change(page, () => page.fill('#kernel', '4'));
    await change(page, () => page.fill('#padding', '3'), 'error');
    expect(await alert.textContent()).toMatch(/maxPool2d: padding must be at most half of kernelSize, got padding 3 with kernelSize 4/);
    await shot(page, 'error-padding');
    await change(page, () => page.fill('#padding', '2'));
    await expectGpuAgreement(page);

    // A blank number.
    await change(page, () => page.fill('#dilation', ''), 'error');
    expect(await alert.textContent()).toBe('Dilation must be a whole number, got ""');
    await change(page, () => page.fill('#dilation', '1'));
    await expectGpuAgreement(page);
    await shot(page, 'error-recovered');
  });

  it('without WebGPU, says so in a banner and still renders the CPU reference', async () => {
    const page = await openDemo({ withoutWebGpu: true });
    expect(await page.isVisible('#gpu-banner')).toBe(true);
    expect(await page.textContent('#gpu-banner')).toMatch(/^WebGPU is not available in this browser/);
    expect(await page.textContent('#agreement')).toMatch(/^GPU unavailable/);
    expect(await page.textContent('#gpu-ms')).toBe('–');
    expect(parseFloat((await page.textContent('#cpu-ms')) ?? '')).toBeGreaterThanOrEqual(0);
    const [width, height] = await canvasSize(page, 'input');
    expect(await canvasSize(page, 'reconstruction')).toEqual([width, height]);
    // The page still recomputes on the CPU.
    await change(page, () => page.selectOption('#levels', '3'));
    expect(await canvasSize(page, 'pooled-3')).toEqual([Math.floor(width / 8), Math.floor(height / 8)]);
    expect(await page.textContent('#agreement')).toMatch(/^GPU unavailable/);
    await shot(page, 'cpu-only-no-webgpu');
  });

  it('falls back to the CPU reference, with a banner, when the GPU device is lost', async () => {
    const page = await openDemo();
    await expectGpuAgreement(page);
    await change(page, () => page.evaluate(() => window.argpoolDemo.ap?.device.destroy()));
    expect(await page.isVisible('#gpu-banner')).toBe(true);
    expect(await page.textContent('#gpu-banner')).toMatch(/^The GPU device was lost \(destroyed/);
    expect(await page.textContent('#agreement')).toMatch(/^GPU unavailable \(the GPU device was lost/);
    await change(page, () => page.selectOption('#fill', 'nearest'));
    expect(await page.textContent('#agreement')).toMatch(/^GPU unavailable/);
    await shot(page, 'cpu-only-device-lost');
  });
});

// ---------------------------------------------------------------------------------------------
// Segmentation view
// ---------------------------------------------------------------------------------------------

/** Waits until more than `after` segmentation runs have finished and the view has settled in `state`. */
async function waitForSegmentation(page: Page, after: number, state: 'done' | 'error' = 'done'): Promise<void> {
  await page.waitForFunction(
    (after) => {
      const status = document.getElementById('seg-status');
      return status !== null && Number(status.dataset.run) > after && (status.dataset.state === 'done' || status.dataset.state === 'error');
    },
    after,
    { timeout: SEGMENTATION_TIMEOUT_MS },
  );
  const status = `${await page.textContent('#seg-status')} ${await page.textContent('#seg-error')}`;
  expect(await page.getAttribute('#seg-status', 'data-state'), status).toBe(state);
}

/** Does `action` and waits for the segmentation run it starts. */
async function segmentationChange(page: Page, action: () => Promise<unknown>, state: 'done' | 'error' = 'done'): Promise<void> {
  const before = Number(await page.getAttribute('#seg-status', 'data-run'));
  await action();
  await waitForSegmentation(page, before, state);
}

type PathName = 'argpool' | 'ortWebgpu' | 'ortWasm';

/** Share of pixels whose class two paths agree on, computed here from the page's label maps. */
async function labelAgreement(page: Page, a: PathName, b: PathName): Promise<number> {
  const [left, right] = await page.evaluate(
    ([a, b]) => [Array.from(window.argpoolSegmentation.results[a]!.labels), Array.from(window.argpoolSegmentation.results[b]!.labels)],
    [a, b] as const,
  );
  expect(left.length).toBe(128 * 128);
  expect(right.length).toBe(128 * 128);
  let same = 0;
  for (let i = 0; i < left.length; i++) if (left[i] === right[i]) same++;
  return same / left.length;
}

/** What every finished segmentation run shows: class map, areas, argmax maps, the paths' times. */
async function expectSegmentation(page: Page, paths: readonly PathName[]): Promise<void> {
  expect(await page.textContent('#seg-error')).toBe('');
  // The class map over the image comes from argpool when it ran, else from ORT wasm.
  expect(await page.getAttribute('#seg-overlay', 'data-path')).toBe(paths[0]);
  const overlay = await page.$eval('#seg-overlay', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
  expect(overlay).toEqual([128, 128]);

  // Areas: one row per class, pixel counts that add up to the image and match the label map.
  const rows = await page.$$eval('#seg-areas tbody tr', (trs) =>
    trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (cell) => cell.textContent ?? '')),
  );
  expect(rows.map((r) => r[0])).toEqual(['0 background', '1 disc', '2 rectangle', '3 triangle']);
  const pixels = rows.map((r) => Number(r[1].replace(/,/g, '')));
  expect(pixels.reduce((a, b) => a + b, 0)).toBe(128 * 128);
  const counts = await page.evaluate((path) => {
    const counts = [0, 0, 0, 0];
    for (const label of window.argpoolSegmentation.results[path]!.labels) counts[label]++;
    return counts;
  }, paths[0]);
  expect(pixels).toEqual(counts);
  for (const [i, row] of rows.entries()) expect(parseFloat(row[2])).toBeCloseTo((100 * pixels[i]) / (128 * 128), 1);

  // Argmax maps: one per encoder level, halving in size, with tap shares that add up with the silent ones.
  const maps = await page.$$eval('#seg-argmax figure', (figures) =>
    figures.map((f) => ({
      size: [(f.querySelector('canvas') as HTMLCanvasElement).width, (f.querySelector('canvas') as HTMLCanvasElement).height],
      title: f.querySelector('.title')?.textContent ?? '',
      share: (f as HTMLElement).dataset.share ?? '',
    })),
  );
  expect(maps.length, 'encoder levels').toBeGreaterThanOrEqual(3);
  expect(maps.map((m) => m.size)).toEqual(maps.map((_, l) => [128 >> (l + 1), 128 >> (l + 1)]));
  expect(maps[0].title).toMatch(/^Level 1: /);
  for (const map of maps) {
    const shares = map.share.split(',').map(Number);
    expect(shares).toHaveLength(4);
    expect(shares.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }

  // Times: every path that ran has a figure; the others say why not.
  for (const path of ['argpool', 'ortWebgpu', 'ortWasm'] as const) {
    const row = page.locator(`#seg-times tr[data-path="${path}"]`);
    if (paths.includes(path)) {
      expect(await row.getAttribute('data-state'), `${path} row`).toBe('done');
      expect(Number(await row.getAttribute('data-ms')), `${path} ms`).toBeGreaterThan(0);
      expect(await row.locator('td').first().textContent()).toMatch(/^\d[\d.]* ms/);
    } else {
      expect(await row.getAttribute('data-state'), `${path} row`).toBe('off');
    }
  }
  if (paths.includes('argpool')) {
    // The stages of the argpool path: ORT parts, argpool pooling and unpooling.
    const stages = await page.$$eval('#seg-steps tfoot tr', (trs) =>
      trs.map((tr) => [(tr as HTMLElement).dataset.stage, parseFloat((tr as HTMLTableRowElement).cells[1].textContent ?? '')] as const),
    );
    expect(stages.map((s) => s[0])).toEqual(['ORT parts', 'argpool pooling', 'argpool unpooling', 'all steps']);
    for (const [stage, ms] of stages) expect(ms, stage).toBeGreaterThan(0);
    // One MaxPool and one MaxUnpool step per encoder level.
    expect(await page.locator('#seg-steps tbody tr[data-kind="argpool"]').count()).toBe(2 * maps.length);

    // The argpool path's labels against ORT wasm, computed here; and the page says the same.
    const agree = await labelAgreement(page, 'argpool', 'ortWasm');
    expect(agree, 'argpool labels equal to ORT wasm').toBeGreaterThanOrEqual(0.995);
    expect(Number(await page.getAttribute('#seg-times tr[data-path="ortWasm"]', 'data-label-agreement'))).toBeCloseTo(agree, 10);
    if (paths.includes('ortWebgpu')) expect(await labelAgreement(page, 'argpool', 'ortWebgpu')).toBeGreaterThanOrEqual(0.995);
  }
  expect(await page.isVisible('#seg-banner'), 'banner').toBe(paths.length < 3);
}

const ALL_PATHS = ['argpool', 'ortWebgpu', 'ortWasm'] as const;

describe('segmentation view', () => {
  it(
    'opens by default; a generated sample, a second seed and a drawn shape each run on all three paths, argpool agreeing with ORT wasm',
    async () => {
      const page = await openDemo({ view: 'default' });
      expect(await page.getAttribute('#tab-segmentation', 'aria-current')).toBe('page');
      expect(await page.isVisible('#view-explorer')).toBe(false);
      await expectSegmentation(page, ALL_PATHS);
      expect(await page.textContent('#seg-source')).toMatch(/^generated, seed 7: /);
      // The generator's labels are shown, and IoU against them is given per class.
      expect(await page.isVisible('#seg-truth')).toBe(true);
      await shot(page, 'segmentation-seed-7');

      await segmentationChange(page, () => page.fill('#seg-seed', '1736833618'));
      await expectSegmentation(page, ALL_PATHS);
      expect(await page.textContent('#seg-source')).toMatch(/^generated, seed 1736833618: /);
      await shot(page, 'segmentation-seed-1736833618');

      // Draw a rectangle: drag across the input canvas (128 px shown at its CSS size).
      await page.selectOption('#seg-draw', 'rectangle');
      const box = (await page.locator('#seg-input').boundingBox())!;
      const at = (x: number, y: number) => [box.x + (x / 128) * box.width, box.y + (y / 128) * box.height] as const;
      const before = await page.evaluate(() => Array.from(window.argpoolSegmentation.input.image));
      await segmentationChange(page, async () => {
        await page.mouse.move(...at(20, 70));
        await page.mouse.down();
        await page.mouse.move(...at(40, 85), { steps: 4 });
        await page.mouse.move(...at(56, 104), { steps: 4 });
        await page.mouse.up();
      });
      await expectSegmentation(page, ALL_PATHS);
      expect(await page.textContent('#seg-source')).toMatch(/\+ 1 drawn shape$/);
      // The rectangle's pixels (centres inside 20..56 x 70..104) took one colour and label 2 in the generator's labels.
      const { truth, image } = await page.evaluate(() => ({
        truth: Array.from(window.argpoolSegmentation.input.truth!),
        image: Array.from(window.argpoolSegmentation.input.image),
      }));
      let inside = 0;
      let changed = 0;
      for (let y = 72; y < 102; y++) {
        for (let x = 22; x < 54; x++) {
          const p = y * 128 + x;
          if (truth[p] === 2) inside++;
          if (image[p] !== before[p]) changed++;
        }
      }
      expect(inside).toBe(30 * 32);
      expect(changed).toBeGreaterThan(0.9 * 30 * 32);
      await shot(page, 'segmentation-drawn-rectangle');
      if (process.env.ARGPOOL_DOCS_SCREENSHOT === '1') {
        mkdirSync('docs', { recursive: true });
        await page.screenshot({ path: 'docs/segmentation-demo.png', fullPage: true });
      }

      // A lost GPU device turns the WebGPU paths off; the view goes on with ORT wasm.
      await segmentationChange(page, () => page.evaluate(() => window.argpoolSegmentation.paths?.device?.destroy()));
      expect(await page.textContent('#seg-banner')).toMatch(/^The GPU device was lost \(destroyed\)/);
      await expectSegmentation(page, ['ortWasm']);
      expect(await page.textContent('#seg-times tr[data-path="argpool"] td')).toMatch(/^the GPU device was lost/);
      await shot(page, 'segmentation-device-lost');
    },
    SEGMENTATION_TIMEOUT_MS * 3,
  );

  it('without WebGPU, says so and runs ORT wasm alone; takes pictures from the file picker and drag and drop, cropped to 128 × 128', async () => {
    const page = await openDemo({ view: 'segmentation', withoutWebGpu: true });
    expect(await page.textContent('#seg-banner')).toMatch(/^WebGPU is not available in this browser/);
    await expectSegmentation(page, ['ortWasm']);
    expect(await page.textContent('#seg-times tr[data-path="argpool"] td')).toBe('no WebGPU in this browser');
    await shot(page, 'segmentation-no-webgpu');

    const wide = await makePng(page, 300, 200);
    await segmentationChange(page, () => page.setInputFiles('#seg-file', { name: 'upload.png', mimeType: 'image/png', buffer: wide }));
    await expectSegmentation(page, ['ortWasm']);
    expect(await page.textContent('#seg-source')).toBe('upload.png, 300 × 200, scaled to 128 × 128, centre-cropped to 200 × 200');
    expect(await page.isVisible('#seg-truth')).toBe(false);
    expect(await page.textContent('#seg-areas tbody tr td:last-child')).toBe('–');

    const square = await makePng(page, 128, 128);
    await segmentationChange(page, () =>
      page.evaluate((bytes) => {
        const file = new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, Array.from(square)),
    );
    await expectSegmentation(page, ['ortWasm']);
    expect(await page.textContent('#seg-source')).toBe('dropped.png, 128 × 128');
    // The picture is the input as it was: a 128 × 128 PNG goes in unscaled.
    const first = await page.evaluate(() => Array.from(window.argpoolSegmentation.input.image.slice(0, 3)));
    for (const v of first) expect(v * 255).toBeCloseTo(Math.round(v * 255), 3);
    await shot(page, 'segmentation-upload-no-webgpu');

    // A bad seed is reported next to the controls.
    await page.fill('#seg-seed', '-4');
    expect(await page.textContent('#seg-error')).toMatch(/^The seed must be a whole number from 0 to 4294967295, got "-4"/);
  });

  it(
    'runs the TF.js engine when switched on: its time, and labels as the argpool path on at least 99.5 % of pixels',
    async () => {
      const page = await openDemo({ view: 'default' });
      await expectSegmentation(page, ALL_PATHS);
      expect(await page.getAttribute('#seg-times tr[data-path="tfjs"]', 'data-state')).toBe('off');
      await segmentationChange(page, () => page.check('#seg-tfjs'));
      await expectSegmentation(page, ALL_PATHS);
      const row = page.locator('#seg-times tr[data-path="tfjs"]');
      expect(await row.getAttribute('data-state')).toBe('done');
      expect(Number(await row.getAttribute('data-ms'))).toBeGreaterThan(0);
      expect(await row.locator('td').first().textContent()).toMatch(/^\d[\d.]* ms/);
      const [labels, argpool] = await page.evaluate(() => [
        Array.from(window.argpoolSegmentation.results.tfjs!.labels),
        Array.from(window.argpoolSegmentation.results.argpool!.labels),
      ]);
      const agree = labels.filter((l, p) => l === argpool[p]).length / labels.length;
      expect(agree, 'TF.js labels equal to the argpool path').toBeGreaterThanOrEqual(0.995);
      expect(Number(await row.getAttribute('data-label-agreement'))).toBeCloseTo(agree, 10);
      expect(Number(await row.getAttribute('data-index-agreement')), 'indices as the argpool path').toBeGreaterThanOrEqual(0.99);
      await shot(page, 'segmentation-tfjs');
    },
    SEGMENTATION_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// Both views from a static build
// ---------------------------------------------------------------------------------------------

describe('static build', () => {
  it('works as a static build (npm run build:demo) served from a nested folder: the model and ORT wasm load, both views run', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'argpool-demo-'));
    let http: Server | undefined;
    try {
      await build({ root: 'demo', configFile: 'demo/vite.config.ts', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      // Served under a sub-path that the build knows nothing about: only relative asset URLs work here.
      const prefix = '/some/nested/folder/';
      const types: Record<string, string> = {
        '.html': 'text/html',
        '.js': 'text/javascript',
        '.mjs': 'text/javascript',
        '.css': 'text/css',
        '.wasm': 'application/wasm',
      };
      http = createHttpServer((request, response) => {
        const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
        const relative = path.startsWith(prefix) ? normalize(path.slice(prefix.length) || 'index.html') : '';
        try {
          if (!relative || relative.startsWith('..')) throw new Error('outside');
          const body = readFileSync(join(outDir, relative));
          response.writeHead(200, { 'content-type': types[extname(relative)] ?? 'application/octet-stream' }).end(body);
        } catch {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
      const port = (http.address() as AddressInfo).port;
      const page = await openDemo({ at: `http://127.0.0.1:${port}${prefix}`, view: 'default' });
      await expectSegmentation(page, ALL_PATHS);
      await shot(page, 'static-build-segmentation');
      // The tab opens the explorer in the same page.
      await page.click('#tab-explorer');
      await waitForRun(page, 0);
      expect(await page.isVisible('#view-segmentation')).toBe(false);
      await expectGpuAgreement(page);
      await change(page, () => page.selectOption('#fill', 'bilinear'));
      await expectGpuAgreement(page);
      await shot(page, 'static-build-explorer');
    } finally {
      await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
      rmSync(outDir, { recursive: true, force: true });
    }
  }, SEGMENTATION_TIMEOUT_MS * 2);
});
