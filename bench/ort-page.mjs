// The part the ONNX benchmarks share (bench/onnx.mjs, bench/segnet.mjs): serve bench/ with Vite on
// 127.0.0.1, open one of its pages in headless Chromium with WebGPU (the browser tests' launch), wait
// until the page says it is ready, run its benchmark function with a config, and return the results
// with the browser and the machine they ran on.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../scripts/environment.mjs';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = dirname(benchDir);

/**
 * @param {{ name: string, html: string, ready: string, run: string, config: unknown, headed?: boolean,
 *   optimizeDeps?: object, assetsInclude?: string[] }} spec  `ready` and `run` name the page's globals
 *   (a flag, and a function taking the config).
 */
export async function runOrtPage(spec) {
  const server = await createServer({
    configFile: false,
    root: benchDir,
    cacheDir: join(repoRoot, 'node_modules', `.vite-bench-${spec.name}`),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null, fs: { allow: [repoRoot] } },
    // ORT Web loads its wasm files relative to its own module: keep it out of pre-bundling.
    optimizeDeps: spec.optimizeDeps ?? { exclude: ['onnxruntime-web'] },
    assetsInclude: spec.assetsInclude,
  });
  let browser = null;
  try {
    await server.listen();
    const url = `http://127.0.0.1:${server.httpServer.address().port}/${spec.html}`;
    const launch = await chromiumLaunchOptions();
    browser = await chromium.launch({ ...launch, headless: !spec.headed });
    const page = await browser.newPage();
    page.on('console', (m) => {
      // ORT logs its node placement warnings as errors; only real errors are shown.
      if (m.type() === 'error' && !m.text().includes('W:onnxruntime')) console.log(`page error: ${m.text()}`);
    });
    page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
    await page.exposeFunction('__benchLog', (line) => console.log(`bench/${spec.name}: ${line}`));
    await page.goto(url);
    await page.waitForFunction((flag) => window[flag] === true, spec.ready, { timeout: 180_000 });
    const results = await page.evaluate(([fn, config]) => window[fn](config), [spec.run, spec.config]);
    results.browser = { version: browser.version(), executable: launch.executablePath };
    results.machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? null, loadAverage1m: loadavg()[0] };
    return results;
  } finally {
    await browser?.close();
    await server.close();
  }
}

/** Runs `main` (which resolves to an exit status) and exits with it; 2 when it could not run. */
export function exitWith(name, main) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`bench/${name}: could not run: ${error?.stack ?? error}`);
      process.exit(2);
    },
  );
}
