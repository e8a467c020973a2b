#!/usr/bin/env node
// Host overhead: the CPU time argpool spends recording work, in Node on Dawn (the `webgpu` package).
// One round records `pairs` pool+unpool pairs (1x4x16x16 input, 2x2 windows, stride 2) and destroys
// every result in the loop, with no read inside it; the figure is the round's wall time divided by
// the operations recorded (automatic submits included). Best of `rounds` after a warm-up round. The
// loop passes one options object, as a layer would; rounds with the options written in each call (a
// new object every time) alternate with those and are reported beside them.
// Then the cost of one submit: one pair recorded, `flush()` timed alone, median of many.
//
//   node bench/host.mjs [--pairs 1000] [--rounds 15] [--json FILE]
//
// Measures the built package (dist/), rebuilding it first (`npm run build`) when src/ or shaders/ are
// newer. Without VK_ICD_FILENAMES it finds SwiftShader the way the tests do (scripts/environment.mjs)
// and runs itself again with it. `npm run bench` (bench/run.mjs) runs it and puts its figures in the
// results. On a shared machine the wall time includes waiting for a core: the main thread's own CPU
// time per operation is reported beside it (Linux).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const value = argv[i + 1];
  if (value === undefined) throw new Error(`bench/host: ${name} needs a value`);
  return value;
}

if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && process.env.ARGPOOL_VULKAN !== 'system') {
  // The dynamic linker reads LD_LIBRARY_PATH at start: run again with the Vulkan environment.
  const { vulkanEnvironment } = await import('../scripts/environment.mjs');
  const env = { ...process.env, ...(await vulkanEnvironment(process.env)) };
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], { env, stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** Newest modification time under a folder (0 when it does not exist). */
function newest(folder) {
  if (!existsSync(folder)) return 0;
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return latest;
}

const built = join(repoRoot, 'dist', 'index.js');
if (!existsSync(built) || statSync(built).mtimeMs < Math.max(newest(join(repoRoot, 'src')), newest(join(repoRoot, 'shaders')))) {
  console.log('host: dist/ is missing or older than src/: npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('bench/host: npm run build failed');
}

const pairs = Number(option('--pairs', '1000'));
const rounds = Number(option('--rounds', '15'));
const jsonFile = option('--json', null);

const { create } = await import('webgpu');
const { ArgPool } = await import('../dist/index.js');

const ap = await ArgPool.create({ gpu: create([]) });
const info = ap.device.adapterInfo ?? {};
const shape = [1, 4, 16, 16];
const options = { kernelSize: 2, stride: 2 };
const x = ap.tensor(Float32Array.from({ length: 4 * 16 * 16 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1), shape);

/**
 * Nanoseconds this thread has run on a CPU (Linux: /proc/thread-self/schedstat), or null elsewhere.
 * On a shared machine the wall time includes waiting for a core; this does not.
 */
const SCHEDSTAT = '/proc/thread-self/schedstat';
const threadCpuNs = existsSync(SCHEDSTAT) ? () => Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) : () => null;

/**
 * One round of `count` pairs. `inline`: the options are written in the call, a new object each time
 * (argpool then resolves and checks them every call); otherwise one options object serves the loop,
 * as a model's layer would hold it (argpool then recognises the repeated call).
 */
function round(count, inline = false) {
  const submitsBefore = ap.submissions;
  const cpuBefore = threadCpuNs();
  const start = performance.now();
  if (inline) {
    for (let i = 0; i < count; i++) {
      const { values, indices } = ap.maxPool(x, { kernelSize: 2, stride: 2 });
      const unpooled = ap.maxUnpool(values, indices, { kernelSize: 2, stride: 2 });
      values.destroy();
      indices.destroy();
      unpooled.destroy();
    }
  } else {
    for (let i = 0; i < count; i++) {
      const { values, indices } = ap.maxPool(x, options);
      const unpooled = ap.maxUnpool(values, indices, options);
      values.destroy();
      indices.destroy();
      unpooled.destroy();
    }
  }
  const ms = performance.now() - start;
  const cpuAfter = threadCpuNs();
  return { ms, cpuMs: cpuAfter === null ? null : (cpuAfter - cpuBefore) / 1e6, submits: ap.submissions - submitsBefore };
}

round(Math.min(pairs, 100));
round(Math.min(pairs, 100), true);
await ap.sync();
const perRound = [];
const inlineRounds = [];
for (let r = 0; r < rounds; r++) {
  for (const inline of [false, true]) {
    const { ms, cpuMs, submits } = round(pairs, inline);
    (inline ? inlineRounds : perRound).push({ usPerOp: (ms * 1000) / (2 * pairs), cpuUsPerOp: cpuMs === null ? null : (cpuMs * 1000) / (2 * pairs), submits });
    await ap.sync();
  }
}
const bestOf = (list) => list.reduce((a, b) => (b.usPerOp < a.usPerOp ? b : a));
const best = bestOf(perRound);
const minCpu = (list) => (list.every((r) => r.cpuUsPerOp !== null) ? Math.min(...list.map((r) => r.cpuUsPerOp)) : null);

const flushes = [];
for (let i = 0; i < 200; i++) {
  const { values, indices } = ap.maxPool(x, options);
  const unpooled = ap.maxUnpool(values, indices, options);
  const start = performance.now();
  ap.flush();
  flushes.push((performance.now() - start) * 1000);
  values.destroy();
  indices.destroy();
  unpooled.destroy();
  if (i % 50 === 49) await ap.sync();
}
await ap.sync();
flushes.sort((a, b) => a - b);
const usPerSubmit = flushes[flushes.length >> 1];

const result = {
  command: `node bench/host.mjs ${argv.filter((a, i) => a !== '--json' && argv[i - 1] !== '--json').join(' ')}`.trim(),
  pairs,
  rounds,
  what: `${pairs} maxPool+maxUnpool pairs on ${shape.join('x')} (2x2/2), results destroyed in the loop, no reads; best of ${rounds} rounds`,
  adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '),
  usPerOp: best.usPerOp,
  usPerOpRounds: perRound.map((r) => r.usPerOp),
  /** The main thread's own CPU time per operation (Linux), best round: what the wall time would be with a core to itself. */
  cpuUsPerOp: minCpu(perRound),
  /** The same loop with the options written in each call (a new object every time). */
  inline: { usPerOp: bestOf(inlineRounds).usPerOp, usPerOpRounds: inlineRounds.map((r) => r.usPerOp), cpuUsPerOp: minCpu(inlineRounds) },
  submitsPerRound: best.submits,
  usPerSubmit,
  buffersCreated: ap.buffersCreated,
  node: process.version,
};
ap.destroy();
console.log(`host: ${result.usPerOp.toFixed(1)} µs per recorded operation (best of ${rounds}: ${result.usPerOpRounds.map((v) => v.toFixed(1)).join(', ')}), ` +
  (result.cpuUsPerOp === null ? '' : `main thread on CPU ${result.cpuUsPerOp.toFixed(1)} µs per operation, `) +
  `${result.submitsPerRound} submits per round, ${usPerSubmit.toFixed(1)} µs per submit (median), adapter ${result.adapter}`);
console.log(`host: options written in each call: ${result.inline.usPerOp.toFixed(1)} µs per recorded operation` +
  (result.inline.cpuUsPerOp === null ? '' : `, main thread on CPU ${result.inline.cpuUsPerOp.toFixed(1)} µs`));
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
