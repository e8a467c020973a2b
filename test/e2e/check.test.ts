/**
 * End to end: the demo's "Check this GPU" view (#check), served by a Vite dev server started here and
 * driven in headless Chromium with WebGPU on SwiftShader. The view is reached from the navigation,
 * runs the conformance plan (quick mode: SwiftShader is slow) and the speed table, and must show
 * `conformance: N of N checks passed`, the table, the plot, and offer the report as a JSON download.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import type { ViteDevServer } from 'vite';
import { SCREENSHOTS, startDemo } from './harness';
const CHECK_TIMEOUT_MS = 480_000;

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

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { page, errors };
}

describe('check this GPU view', () => {
  it('is reached from the navigation, passes every check of the quick plan, shows the speed table and plot, and downloads the report', async () => {
    const { page, errors } = await openPage();
    try {
      await page.goto(`${url}#explorer`);
      await page.click('[data-testid="tab-check"]');
      await page.waitForFunction(() => location.hash === '#check' && !document.getElementById('view-check')!.hidden);
      expect(await page.isHidden('[data-testid="view-explorer"]')).toBe(true);
      expect(await page.title()).toBe('argpool demo: check this GPU');
      expect(await page.getAttribute('#check-status', 'data-state')).toBe('idle');
      expect(await page.isDisabled('[data-testid="check-download"]')).toBe(true);

      await page.check('[data-testid="check-quick"]');
      const started = Date.now();
      await page.click('[data-testid="check-run"]');
      // The progress bar moves while the plan runs.
      await page.waitForFunction(() => Number((document.getElementById('check-progress') as HTMLProgressElement).value) > 0.05, null, { timeout: CHECK_TIMEOUT_MS });
      expect(await page.getAttribute('#check-status', 'data-state')).toBe('running');
      await page.waitForFunction(() => document.getElementById('check-status')!.dataset.state !== 'running', null, { timeout: CHECK_TIMEOUT_MS });
      console.log(`#check quick plan in Chromium: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await page.screenshot({ path: `${SCREENSHOTS}/check.png`, fullPage: true });
      const failures = await page.locator('#check-failures li').allTextContents();
      expect(await page.getAttribute('#check-status', 'data-state'), `${await page.textContent('#check-status')}\n${failures.join('\n')}`).toBe('passed');
      expect(failures).toEqual([]);

      const line = (await page.textContent('[data-testid="check-line"]')) ?? '';
      const match = /^conformance: (\d+) of (\d+) checks passed$/.exec(line);
      expect(match, line).not.toBeNull();
      const total = Number(match![2]);
      expect(Number(match![1])).toBe(total);
      expect(total).toBeGreaterThan(200);
      expect(Number(await page.$eval('#check-progress', (p) => (p as HTMLProgressElement).value))).toBe(1);
      expect(await page.textContent('#check-adapter')).toMatch(/adapter: vendor google, architecture swiftshader/);

      // The speed table: one row per kernel, every figure a positive number.
      const rows = await page.locator('#check-speed tbody tr').all();
      expect(rows).toHaveLength(6);
      for (const row of rows) {
        const cells = await row.locator('td').allTextContents();
        expect(cells).toHaveLength(7);
        for (const value of cells.slice(1)) expect(parseFloat(value), cells.join(' | ')).toBeGreaterThan(0);
      }
      expect(await page.textContent('#check-host')).toMatch(/^Host: \d+(\.\d+)? µs per recorded operation/);
      // The plot: two bars per kernel, each as long as its ratio says (longer ratio, longer bar).
      const bars = await page.$$eval('#check-plot [data-testid="check-plot-bar"]', (nodes) =>
        nodes.map((n) => ({ ratio: Number(n.getAttribute('data-ratio')), width: Number(n.getAttribute('width')) })),
      );
      expect(bars).toHaveLength(12);
      for (const bar of bars) expect(bar.width).toBeGreaterThan(0);
      const sorted = bars.slice().sort((a, b) => a.ratio - b.ratio);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i].width).toBeGreaterThanOrEqual(sorted[i - 1].width);
      expect(await page.$eval('#check-plot', (svg) => (svg as SVGSVGElement).getBBox().height)).toBeGreaterThan(100);

      // The report, as a download: the JSON of the run on screen.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="check-download"]')]);
      expect(download.suggestedFilename()).toMatch(/^argpool-check-.*\.json$/);
      const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(report.tool).toBe('argpool check');
      expect(report.ok).toBe(true);
      expect(report.environment).toMatch(/Chrome/);
      expect(report.options).toMatchObject({ quick: true, profile: 'auto' });
      expect(report.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader' });
      expect([report.conformance.passed, report.conformance.total]).toEqual([total, total]);
      expect(report.conformance.checks).toHaveLength(total);
      expect(report.speed.rows).toHaveLength(6);
      expect(report.speed.rows.map((r: { ratioToCopyKernel: number }) => r.ratioToCopyKernel)).toEqual(bars.filter((_, i) => i % 2 === 0).map((b) => b.ratio));
      expect(errors, 'console errors and uncaught exceptions').toEqual([]);
    } finally {
      await page.close();
    }
  }, CHECK_TIMEOUT_MS + 60_000);

  it('without WebGPU, says so in a banner and runs nothing', async () => {
    const { page, errors } = await openPage();
    try {
      await page.addInitScript(() => {
        Object.defineProperty(navigator, 'gpu', { value: undefined });
      });
      await page.goto(`${url}#check`);
      await page.click('[data-testid="check-run"]');
      await page.waitForFunction(() => document.getElementById('check-status')!.dataset.state === 'error');
      expect(await page.textContent('#check-banner')).toMatch(/^WebGPU is not available in this browser/);
      expect(await page.isVisible('#check-banner')).toBe(true);
      expect(await page.textContent('#check-line')).toBe('');
      expect(await page.isDisabled('[data-testid="check-download"]')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
