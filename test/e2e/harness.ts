/**
 * What the end-to-end tests share: the demo (demo/) served by a Vite dev server started here, and
 * headless Chromium with WebGPU on SwiftShader to drive it.
 */
import { mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { chromium, type Browser } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumLaunchOptions } from '../../scripts/environment.mjs';

export const SCREENSHOTS = 'test-results/e2e';

/** Starts the demo's dev server and Chromium; the page's URL is on http://127.0.0.1 or localhost. */
export async function startDemo(): Promise<{ server: ViteDevServer; browser: Browser; url: string }> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const server = await createServer({
    root: 'demo',
    configFile: 'demo/vite.config.ts',
    logLevel: 'warn',
    // No file watching: an edit elsewhere in the checkout must not reload the page mid-test.
    server: { port: 0, host: '127.0.0.1', watch: null, hmr: false },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? '';
  // WebGPU needs a secure context: http://127.0.0.1 or http://localhost is one.
  expect(url).toMatch(/^http:\/\/(127\.0\.0\.1|localhost):\d+\/$/);
  const browser = await chromium.launch(await chromiumLaunchOptions());
  return { server, browser, url };
}
