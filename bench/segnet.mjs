#!/usr/bin/env node
// `node bench/segnet.mjs`: the trained SegNet (models/segnet-shapes.onnx) per run on three paths: the
// argpool adapter (ORT WebGPU parts + argpool pooling and unpooling), ORT's WebGPU provider with the
// pooling nodes forced to the CPU, and ORT's wasm provider, on generated "shapes" images; then the same
// weights as a TF.js layers model with argpool/tfjs-layers on TF.js WebGPU (bench/segnet-tfjs.ts). Serves
// bench/ with Vite on 127.0.0.1 and drives bench/segnet.html in headless Chromium with WebGPU (the
// launch of the browser tests). Writes bench/segnet-results.json and bench/segnet-results.md.
//
// Options:
//   --runs <n>     timed runs per path (default 5; each on its own image)
//   --warmup <n>   untimed runs per path first (default 1)
//   --seed <n>     base seed of the images (default 3)
//   --headed       show the browser window
// Exit status: 0 when the adapter's and the TF.js engine's labels agree with ORT wasm on at least 99.5% of the pixels, 1 when
// not, 2 when the bench could not run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, exitWith, runOrtPage } from './ort-page.mjs';


function parseArgs(argv) {
  const options = { runs: 5, warmup: 1, seed: 3, headed: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench/segnet: ${arg} needs a value`);
      return Number(v);
    };
    if (arg === '--runs') options.runs = value();
    else if (arg === '--warmup') options.warmup = value();
    else if (arg === '--seed') options.seed = value();
    else if (arg === '--headed') options.headed = true;
    else throw new Error(`bench/segnet: unknown argument ${JSON.stringify(arg)} (known: --runs, --warmup, --seed, --headed)`);
  }
  if (!(Number.isInteger(options.runs) && options.runs > 0 && Number.isInteger(options.warmup) && options.warmup >= 0)) {
    throw new Error('bench/segnet: --runs takes a positive integer, --warmup a non-negative one');
  }
  if (!(Number.isInteger(options.seed) && options.seed >= 0 && options.seed < 2 ** 32)) throw new Error('bench/segnet: --seed takes an integer in [0, 2^32)');
  return options;
}

/** The TF.js engine's row (bench/segnet-tfjs.ts): the same weights as a TF.js layers model with argpool/tfjs-layers. */
function tfjsRow(r, ms, pct) {
  const t = r.tfjs;
  return `| TF.js ${t.tfjsVersion} \`${t.backend}\` + argpool/tfjs-layers (${t.model}, after the ORT paths) | ${ms(t.timing)} | ${pct(t.labelAgreementWithWasm)} |`;
}

function renderMarkdown(r, command) {
  const ms = (t) => `${t.medianMs.toFixed(1)} ms (min ${t.minMs.toFixed(1)}, max ${t.maxMs.toFixed(1)})`;
  const pct = (x) => `${(100 * x).toFixed(2)}%`;
  const s = r.adapterSplit;
  return [
    `Model: ${r.model} (${(r.modelBytes / 1e6).toFixed(2)} MB), input ${r.input.join('x')}, ${r.images}. Adapter: ${r.adapterInfo}. onnxruntime-web ${r.ortVersion}, wasm threads ${r.wasmThreads}.`,
    `Median of ${r.paths.adapter.runs} runs per path (the paths take turns on each image), each from CPU input to CPU logits. Command: \`${command}\`.`,
    '',
    '| path | per run | labels as ORT wasm |',
    '| --- | --- | --- |',
    `| argpool adapter (ORT WebGPU parts + argpool) | ${ms(r.paths.adapter)} | ${pct(r.labelAgreementWithWasm.adapter)} |`,
    `| ORT WebGPU, pooling nodes on the CPU (\`forceCpuNodeNames\`) | ${ms(r.paths.ortWebgpuPoolingOnCpu)} | ${pct(r.labelAgreementWithWasm.ortWebgpuPoolingOnCpu)} |`,
    `| ORT wasm (CPU) | ${ms(r.paths.ortWasm)} | (reference) |`,
    tfjsRow(r, ms, pct),
    '',
    `Adapter split (\`runTimed\`, GPU finished after each step, medians per step): ORT parts ${s.ortPartsMs.toFixed(1)} ms, ` +
      `argpool pooling ${s.poolingMs.toFixed(1)} ms wall (${s.poolingGpuMs.toFixed(2)} ms GPU), ` +
      `argpool unpooling ${s.unpoolingMs.toFixed(1)} ms wall (${s.unpoolingGpuMs.toFixed(2)} ms GPU, by timestamp queries).`,
    '',
    '| step | wall ms | argpool GPU ms |',
    '| --- | --- | --- |',
    ...s.steps.map((step) => `| ${step.label} | ${step.ms.toFixed(2)} | ${step.gpuMs === undefined ? '' : step.gpuMs.toFixed(3)} |`),
    '',
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), load average ${r.machine.loadAverage1m.toFixed(1)} at the end; ${r.browser.version}.`,
    '',
  ].join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const results = await runOrtPage({
    name: 'segnet',
    html: 'segnet.html',
    ready: '__segnetBenchReady',
    run: '__runSegnetBench',
    config: { runs: options.runs, warmup: options.warmup, seed: options.seed },
    headed: options.headed,
    // The protobuf runtime is pre-bundled up front; the model file is served as an asset.
    optimizeDeps: { exclude: ['onnxruntime-web'], include: ['@bufbuild/protobuf', '@bufbuild/protobuf/codegenv2'] },
    assetsInclude: ['**/*.onnx'],
  });
  const command = `node bench/segnet.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const markdown = renderMarkdown(results, command);
  writeFileSync(join(benchDir, 'segnet-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDir, 'segnet-results.md'), markdown);
  console.log(`\n${markdown}`);
  if (!(results.tfjs.labelAgreementWithWasm >= 0.995)) {
    console.error(`bench/segnet: FAILED: the TF.js engine's labels agree with ORT wasm on only ${results.tfjs.labelAgreementWithWasm} of the pixels`);
    return 1;
  }
  if (!(results.labelAgreementWithWasm.adapter >= 0.995)) {
    console.error(`bench/segnet: FAILED: the adapter's labels agree with ORT wasm on only ${results.labelAgreementWithWasm.adapter} of the pixels`);
    return 1;
  }
  return 0;
}

exitWith('segnet', main);
