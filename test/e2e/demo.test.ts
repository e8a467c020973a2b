/**
 * End to end: the demo page (demo/), served by a Vite dev server started here, driven in headless
 * Chromium with WebGPU on SwiftShader. Every scenario waits for the page's run to finish and checks
 * that the GPU agreed with the CPU reference, that GPU timings are shown, that the WebGPU banner is
 * hidden, and that nothing reached the console as an error. Screenshots go to test-results/e2e/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright';
import { build, createServer, type ViteDevServer } from 'vite';
import { chromiumLaunchOptions } from '../environment.mjs';

const SCREENSHOTS = 'test-results/e2e';
const RUN_TIMEOUT_MS = 60_000;

let server: ViteDevServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await createServer({
    root: 'demo',
    configFile: 'demo/vite.config.ts',
    logLevel: 'warn',
    server: { port: 0, host: '127.0.0.1' },
  });
  await server.listen();
  url = server.resolvedUrls?.local[0] ?? '';
  // WebGPU needs a secure context: http://127.0.0.1 or http://localhost is one.
  expect(url).toMatch(/^http:\/\/(127\.0\.0\.1|localhost):\d+\/$/);
  browser = await chromium.launch(await chromiumLaunchOptions());
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

/** Opens the demo (by default from the dev server) in a fresh page and waits for its first run. */
async function openDemo(options: { withoutWebGpu?: boolean; at?: string } = {}): Promise<Page> {
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
  await page.goto(options.at ?? url);
  await waitForRun(page, 0);
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

describe('demo page', () => {
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

  it('works as a static build (npm run build:demo) served from a nested folder', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'argpool-demo-'));
    let http: Server | undefined;
    try {
      await build({ root: 'demo', configFile: 'demo/vite.config.ts', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      // Served under a sub-path that the build knows nothing about: only relative asset URLs work here.
      const prefix = '/some/nested/folder/';
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
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
      const page = await openDemo({ at: `http://127.0.0.1:${port}${prefix}` });
      await expectGpuAgreement(page);
      await change(page, () => page.selectOption('#fill', 'bilinear'));
      await expectGpuAgreement(page);
      await shot(page, 'static-build');
    } finally {
      await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
