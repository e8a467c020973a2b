#!/usr/bin/env node
// `npm run bench`: serves bench/ with Vite on 127.0.0.1, opens it in headless Chromium with WebGPU
// (the same launch as the browser tests: scripts/environment.mjs), runs every workload in the page
// (bench/page.ts), then measures host overhead in Node on Dawn (bench/host.mjs, its own process), and
// writes bench/results.json, bench/results.md and bench/chart.svg.
//
// Options:
//   --quick           fewer repetitions and smaller tensors (development); writes *.dev.* files
//   --only <text>     only workloads/ops whose "id title layout op" contains <text> (e.g. w3, unpool,
//                     NHWC, chain); writes *.dev.* files
//   --headed          show the browser window
//
// Exit status: 0 when every GPU output matched the CPU reference, 1 on a mismatch or an error
// (timings never fail the run), 2 when the bench could not run at all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { chromiumLaunchOptions } from '../scripts/environment.mjs';
import { createServer } from 'vite';
import { renderMarkdown, renderSvg } from './report.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);

function parseArgs(argv) {
  const options = { quick: false, only: null, headed: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--headed') options.headed = true;
    else if (arg === '--only') {
      options.only = argv[++i];
      if (!options.only) throw new Error('bench: --only needs a value, e.g. --only w3 or --only unpool');
    } else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length);
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench -- [--quick] [--only <substring>] [--headed]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${JSON.stringify(arg)} (known: --quick, --only <text>, --headed)`);
  }
  return options;
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;

/** The largest CPU cache Linux reports (e.g. "480M"), or null: it decides whether "memory-bound" means DRAM here. */
function lastLevelCache() {
  let found = null;
  for (let index = 0; index < 8; index++) {
    try {
      found = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${index}/size`, 'utf8').trim();
    } catch {
      break;
    }
  }
  return found;
}

/** Samples the 1-minute load average while the bench runs: other work on the machine skews timings. */
function startLoadSampler() {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 5000);
  return () => {
    clearInterval(timer);
    samples.push(loadavg()[0]);
    return {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? null,
      lastLevelCache: lastLevelCache(),
      loadAverage1mAtStart: samples[0],
      loadAverage1mMean: samples.reduce((a, b) => a + b, 0) / samples.length,
      loadAverage1mMax: Math.max(...samples),
      samples: samples.length,
    };
  };
}

/** bench/host.mjs in a process of its own (Dawn needs its Vulkan environment from the start): its JSON, or the error. */
function measureHost(quick) {
  const folder = mkdtempSync(join(tmpdir(), 'argpool-host-'));
  const file = join(folder, 'host.json');
  try {
    const args = [join(benchDir, 'host.mjs'), '--json', file, ...(quick ? ['--rounds', '5'] : [])];
    const child = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) return { error: `exit status ${child.status ?? child.signal}` };
    return JSON.parse(readFileSync(file, 'utf8'));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const stopLoadSampler = startLoadSampler();
  const server = await createServer({
    configFile: false,
    root: benchDir,
    cacheDir: join(repoRoot, 'node_modules', '.vite-bench'),
    logLevel: 'warn',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      // Others edit src/ while the bench runs: no file watching, no reloads mid-run.
      hmr: false,
      watch: null,
      fs: { allow: [repoRoot] },
      // Cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs.
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    // Pre-bundle up front, so dependency discovery cannot reload the page in the middle of a run.
    optimizeDeps: {
      include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu'],
    },
  });
  let browser = null;
  try {
    await server.listen();
    const address = server.httpServer.address();
    const url = `http://127.0.0.1:${address.port}/index.html`;
    const launch = await chromiumLaunchOptions();
    console.log(`bench: ${options.quick ? 'QUICK ' : ''}run${options.only ? ` (only "${options.only}")` : ''}, page ${url}`);
    console.log(`bench: launching ${launch.executablePath} ${launch.args.join(' ')}`);
    browser = await chromium.launch({ ...launch, headless: !options.headed });
    const browserVersion = browser.version();
    const page = await browser.newPage();
    page.on('console', (message) => {
      const type = message.type();
      if (type === 'error' || type === 'warning') console.log(`page ${type}: ${message.text()}`);
    });
    page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
    page.on('crash', () => console.log('bench: the page crashed'));
    await page.exposeFunction('__benchLog', (line) => console.log(`[${elapsed()}] ${line}`));
    await page.goto(url);
    await page.waitForFunction(() => window.__benchReady === true, null, { timeout: 180_000 });
    console.log(`bench: Chromium ${browserVersion}, page ready after ${elapsed()}`);

    const results = await page.evaluate((config) => window.__runBench(config), { quick: options.quick, only: options.only });
    results.browser = { name: 'chromium', version: browserVersion, executable: launch.executablePath, flags: launch.args };
    // The browser goes first: its processes would take CPU time from the host measurement.
    await browser.close();
    browser = null;
    console.log(`[${elapsed()}] host overhead: node bench/host.mjs`);
    results.host = measureHost(options.quick);
    results.wallSeconds = (Date.now() - started) / 1000;
    results.machine = stopLoadSampler();

    const partial = options.quick || options.only !== null;
    const suffix = partial ? '.dev' : '';
    const files = {
      json: join(benchDir, `results${suffix}.json`),
      md: join(benchDir, `results${suffix}.md`),
      svg: join(benchDir, `chart${suffix}.svg`),
    };
    const markdown = renderMarkdown(results);
    writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(files.md, markdown);
    writeFileSync(files.svg, renderSvg(results));
    console.log('');
    console.log(markdown);
    console.log(`bench: wrote ${Object.values(files).map((f) => f.slice(repoRoot.length + 1)).join(', ')} in ${elapsed()}`);

    if (results.failures.length > 0) {
      console.error(`bench: FAILED: ${results.failures.length} problem(s); the first:`);
      console.error(`  ${results.failures[0]}`);
      return 1;
    }
    console.log('bench: every GPU output matched the CPU reference');
    return 0;
  } finally {
    await browser?.close();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`bench: could not run: ${error?.stack ?? error}`);
    process.exit(2);
  },
);
