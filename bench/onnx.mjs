#!/usr/bin/env node
// `node bench/onnx.mjs`: the ONNX Runtime Web comparison. Serves bench/ with Vite on 127.0.0.1, opens
// bench/onnx.html in headless Chromium with WebGPU (the launch of the browser tests), and times one
// SegNet model per run on: the argpool adapter (ORT WebGPU parts + argpool), ORT's WebGPU provider with
// the pooling nodes forced to the CPU, and ORT's wasm provider. Writes bench/onnx-results.json and
// bench/onnx-results.md.
//
// Options:
//   --levels <n>        SegNet encoder levels (default 2)
//   --convs <n>         Conv + BatchNormalization + Relu blocks per level and side (default 1)
//   --size <h>x<w>      input height x width (default 64x96)
//   --runs <n>          timed runs per path (default 20; 3 warm-up runs before them)
//   --model <file.onnx> time this model instead (e.g. models/segnet-shapes.onnx)
//   --headed            show the browser window
// Exit status: 0 when the adapter's output matched ORT wasm within 1e-4 of its scale, 1 when not,
// 2 when the bench could not run.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { benchDir, exitWith, runOrtPage } from './ort-page.mjs';


function parseArgs(argv) {
  const options = { levels: 2, convs: 1, height: 64, width: 96, runs: 20, warmup: 3, model: null, headed: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench/onnx: ${arg} needs a value`);
      return v;
    };
    if (arg === '--levels') options.levels = Number(value());
    else if (arg === '--convs') options.convs = Number(value());
    else if (arg === '--size') [options.height, options.width] = value().split('x').map(Number);
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--model') options.model = value();
    else if (arg === '--headed') options.headed = true;
    else throw new Error(`bench/onnx: unknown argument ${JSON.stringify(arg)} (known: --levels, --convs, --size, --runs, --model, --headed)`);
  }
  if (![options.levels, options.convs, options.height, options.width, options.runs].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error('bench/onnx: --levels, --convs, --size and --runs take positive integers');
  }
  return options;
}

function renderMarkdown(r, command) {
  const ms = (t) => `${t.medianMs.toFixed(1)} ms (min ${t.minMs.toFixed(1)}, max ${t.maxMs.toFixed(1)})`;
  const lines = [
    `Model: ${r.model}, input ${r.input.join('x')}. Adapter: ${r.adapterInfo}. onnxruntime-web ${r.ortVersion}, wasm threads ${r.wasmThreads}.`,
    `Median of ${r.paths.adapter.runs} runs per path (the paths take turns), each from CPU input to CPU output. Command: \`${command}\`.`,
    '',
    '| path | per run |',
    '| --- | --- |',
    `| argpool adapter (ORT WebGPU parts + argpool) | ${ms(r.paths.adapter)} |`,
    `| ORT WebGPU, pooling nodes on the CPU (\`forceCpuNodeNames\`) | ${ms(r.paths.ortWebgpuPoolingOnCpu)} |`,
    `| ORT wasm (CPU) | ${ms(r.paths.ortWasm)} |`,
    '',
    `Adapter split (\`runTimed\`, GPU finished after each step): ORT parts ${r.adapterSplit.ortPartsMs.toFixed(1)} ms, ` +
      `argpool operations ${r.adapterSplit.argpoolMs.toFixed(1)} ms wall (${r.adapterSplit.argpoolGpuMs.toFixed(3)} ms of GPU time by timestamp queries).`,
    '',
    '| step | wall ms | argpool GPU ms |',
    '| --- | --- | --- |',
    ...r.adapterSplit.steps.map((s) => `| ${s.label} | ${s.ms.toFixed(2)} | ${s.gpuMs === undefined ? '' : s.gpuMs.toFixed(3)} |`),
    '',
    `Worst error against ORT wasm, relative to the output's scale: adapter ${r.worstRelativeError.adapter.toExponential(2)}, ` +
      `ORT WebGPU with CPU pooling ${r.worstRelativeError.ortWebgpuPoolingOnCpu.toExponential(2)}.`,
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const config = { levels: options.levels, convs: options.convs, height: options.height, width: options.width, runs: options.runs, warmup: options.warmup };
  if (options.model) {
    config.model = Array.from(readFileSync(options.model));
    config.modelName = basename(options.model);
  }
  const results = await runOrtPage({ name: 'onnx', html: 'onnx.html', ready: '__onnxBenchReady', run: '__runOnnxBench', config, headed: options.headed });
  const command = `node bench/onnx.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const markdown = renderMarkdown(results, command);
  writeFileSync(join(benchDir, 'onnx-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDir, 'onnx-results.md'), markdown);
  console.log(`\n${markdown}`);
  if (!(results.worstRelativeError.adapter <= 1e-4)) {
    console.error(`bench/onnx: FAILED: the adapter's output differs from ORT wasm by ${results.worstRelativeError.adapter} of its scale`);
    return 1;
  }
  return 0;
}

exitWith('onnx', main);
