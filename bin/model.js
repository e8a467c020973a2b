// `npx argpool inspect MODEL` and `npx argpool run MODEL`: bring your own model. The inspection and
// the comparison live in dist/model/ (src/model/, with the adapters' own inspectors), shared with the
// demo's "Your model" view; this file reads the files, loads the optional peers, and prints.
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { commandLine, fail } from './stop.js';

export const INSPECT_USAGE = `Usage: npx argpool inspect MODEL [options]

Reads MODEL, an ONNX file (.onnx) or a TF.js layers model (model.json, with the weight files it
names in its folder), and prints what argpool will do with it: each pooling node with its attributes
and index format, whether it runs on an argpool kernel, on ORT's WebGPU provider or on ORT's CPU
provider and why, the steps of a run, the inputs' shapes with their symbolic dimensions, and
anything refused, with what to change. Needs no GPU and none of the optional peers.
Exit status: 0 when the model can run, 1 when it cannot, 2 when the inspection could not run.

Options:
  --dim NAME=VALUE    set a symbolic dimension, e.g. --dim height=256 (repeat for several)
  --json FILE         write the report to FILE
  -h, --help          this text`;

export const RUN_USAGE = `Usage: npx argpool run MODEL [options]

Runs MODEL through argpool's path on this machine's GPU (Dawn, from the \`webgpu\` package) and through
a CPU reference, on the same inputs (random, or from .npy files), and prints each output's largest
difference, the labels that agree over the channel axis, each path's time per run, and the
adapter's time step by step.
  ONNX: the argpool/onnxruntime-web adapter (ORT's WebGPU provider runs the parts, argpool the pooling
  nodes, on one device) against ORT's wasm provider. Needs onnxruntime-web and webgpu.
  TF.js layers: argpool/tfjs-layers on TF.js's webgpu backend against its cpu backend. Needs
  @tensorflow/tfjs-core, @tensorflow/tfjs-layers, @tensorflow/tfjs-backend-webgpu,
  @tensorflow/tfjs-backend-cpu and webgpu.
Exit status: 0 when the outputs agree, 1 when they do not or the model cannot run, 2 when the run
could not start.

Options:
  --dim NAME=VALUE       set a symbolic dimension (TF.js models: batch is 1 unless set)
  --input [NAME=]FILE    an input from a NumPy .npy file (NAME may be left out when the model has one
                         input); inputs without one are random, uniform in [0, 1)
  --seed N               seed of the random inputs (default 1)
  --runs N               timed runs of each path after its first run (default 3)
  --tolerance T          an output agrees when |difference| <= T * max(1, max |reference|) (default 0.001)
  --labels F             ... or, for an output with channels, when at least F of its labels (the
                         largest value over the channel axis) are equal (default 0.995)
  --adapter NAME         use the Dawn adapter named NAME
  --json FILE            write the report (inspection, inputs, times, comparisons) to FILE
  -h, --help             this text`;

const DEMO = 'The demo\'s "Your model" view runs the same comparison in a browser with WebGPU (in a checkout of argpool: npm run demo, then open #model).';

function parseOptions(command, argv, usage) {
  const options = { dims: {}, inputs: [], seed: 1, runs: 3, tolerance: 1e-3, labels: 0.995 };
  const line = commandLine(argv, usage);
  const value = (name) => line.value(name);
  const number = (name, min, integer) => {
    const text = value(name);
    const v = Number(text);
    if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) fail(`argpool: ${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got ${JSON.stringify(text)}`);
    return v;
  };
  while (!line.done) {
    const arg = line.next();
    if (!arg.startsWith('-')) {
      if (options.model) fail(`argpool ${command}: one model at a time, got ${JSON.stringify(options.model)} and ${JSON.stringify(arg)}`);
      options.model = arg;
      continue;
    }
    switch (arg) {
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '--dim': {
        const text = value(arg);
        const match = /^(.+)=(\d+)$/.exec(text);
        if (!match || Number(match[2]) < 1) fail(`argpool: --dim takes NAME=VALUE with a positive integer VALUE, got ${JSON.stringify(text)}`);
        options.dims[match[1]] = Number(match[2]);
        break;
      }
      case '--json':
        options.json = value(arg);
        break;
      case '--input':
      case '--seed':
      case '--runs':
      case '--tolerance':
      case '--labels':
      case '--adapter':
        if (command !== 'run') fail(`argpool: unknown option ${JSON.stringify(arg)} for ${command}\n\n${usage}`);
        if (arg === '--input') {
          const text = value(arg);
          const split = text.indexOf('=');
          options.inputs.push(split > 0 ? { name: text.slice(0, split), file: text.slice(split + 1) } : { file: text });
        } else if (arg === '--seed') options.seed = number(arg, 0, true);
        else if (arg === '--runs') options.runs = number(arg, 1, true);
        else if (arg === '--tolerance') options.tolerance = number(arg, 0, false);
        else if (arg === '--labels') {
          options.labels = number(arg, 0, false);
          if (options.labels > 1) fail(`argpool: --labels is a share from 0 to 1, got ${options.labels}`);
        }
        else options.adapter = value(arg);
        break;
      default:
        fail(`argpool: unknown option ${JSON.stringify(arg)}\n\n${usage}`);
    }
  }
  if (!options.help && !options.model) fail(`argpool ${command}: which model? Give an .onnx file or a TF.js model.json\n\n${usage}`);
  return options;
}

async function loadDist() {
  try {
    return await import('../dist/model/index.js');
  } catch (error) {
    fail(`argpool: argpool's built modules (dist/) did not load: ${error?.message ?? error}. In a checkout, run \`npm run build\` first.`);
  }
}

/** The first bytes of a file, to tell model.json (text starting with '{') from an ONNX protobuf. */
function startsAsJson(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    return /^\s*\{/.test(head.subarray(0, n).toString('latin1'));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a model and inspects it. A file over the size limit is refused from its size alone; the
 * weight files a model.json names are only stat'ed here (the inspection checks their sizes against
 * the manifest), and only those inside model.json's folder count.
 */
export function readAndInspect(dist, path, inspectOptions) {
  let size;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) fail(`argpool: ${path} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error?.status) throw error;
    fail(`argpool: cannot read ${path}: ${error?.message ?? error}`);
  }
  const format = startsAsJson(path) ? 'tfjs-layers' : 'onnx';
  const early = dist.sizeReport(format, size, inspectOptions);
  if (!early.canRun) return { format, report: early };
  if (format === 'onnx') {
    const bytes = new Uint8Array(readFileSync(path));
    return { format, report: dist.inspectModel(bytes, inspectOptions), bytes };
  }
  const jsonBytes = new Uint8Array(readFileSync(path));
  const folder = dirname(resolve(path));
  const weightFiles = {};
  const weightPaths = [];
  let manifest = [];
  try {
    manifest = JSON.parse(new TextDecoder().decode(jsonBytes)).weightsManifest ?? [];
  } catch {
    // The inspection reports what is wrong with model.json.
  }
  for (const group of Array.isArray(manifest) ? manifest : []) {
    for (const name of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof name !== 'string') continue;
      const file = resolve(folder, name);
      const inside = relative(folder, file);
      if (inside.startsWith('..') || isAbsolute(inside)) continue;
      try {
        const stat = statSync(file);
        if (stat.isFile()) {
          weightFiles[name] = stat.size;
          weightPaths.push(file);
        }
      } catch {
        // Missing: the inspection names it.
      }
    }
  }
  return { format, report: dist.inspectLayersModel(jsonBytes, weightFiles, inspectOptions), jsonBytes, weightPaths };
}

function version() {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

function writeJson(file, report) {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`report written to ${file}\n`);
}

export async function inspectCommand(argv) {
  const options = parseOptions('inspect', argv, INSPECT_USAGE);
  if (options.help) {
    process.stdout.write(`${INSPECT_USAGE}\n`);
    return 0;
  }
  const dist = await loadDist();
  const { report } = readAndInspect(dist, options.model, { dims: options.dims, version: version() });
  process.stdout.write(`${dist.formatModelReport(report, options.model).join('\n')}\n`);
  if (options.json) writeJson(options.json, report);
  return report.canRun ? 0 : 1;
}

/** Imports an optional peer, or stops with what to install. */
async function peer(name, purpose) {
  try {
    return await import(name);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' || error?.code === 'MODULE_NOT_FOUND') {
      fail(`argpool run needs the \`${name.replace(/\/webgpu$/, '')}\` package ${purpose}, an optional peer dependency of argpool. Install it next to argpool and run again:\n\n  npm install ${name.replace(/\/webgpu$/, '')}`);
    }
    fail(`argpool run: the \`${name}\` package is installed but did not load: ${error?.message ?? error}`);
  }
}

function adapterWords(info, fallback) {
  const words = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(', ');
  return `${words || 'unknown adapter'}${fallback ? ' (a fallback adapter: a CPU emulation of a GPU)' : ''}`;
}

export async function runCommand(argv) {
  const options = parseOptions('run', argv, RUN_USAGE);
  if (options.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const dist = await loadDist();
  const path = options.model;
  const format = startsAsJson(path) ? 'tfjs-layers' : 'onnx';
  // Every peer first: a missing one is named before any long work.
  const webgpu = await peer('webgpu', '(Dawn, WebGPU for Node) for the GPU path');
  const modules = {};
  if (format === 'onnx') {
    modules.ortWasm = await peer('onnxruntime-web', "for the adapter's ORT parts and the wasm reference");
  } else {
    modules.tf = await peer('@tensorflow/tfjs-core', 'to run a TF.js model');
    modules.tfl = await peer('@tensorflow/tfjs-layers', 'to load a TF.js layers model');
    await peer('@tensorflow/tfjs-backend-cpu', 'for the reference (TF.js cpu backend)');
  }
  const { installNodeWebGpu } = await import('./node-webgpu.js');
  let gpu;
  try {
    gpu = installNodeWebGpu(webgpu, options.adapter ? [`adapter=${options.adapter}`] : []);
  } catch (error) {
    fail(`argpool run: Dawn could not start: ${error?.message ?? error}`);
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) fail(`argpool run: Dawn (the \`webgpu\` package) found no GPU adapter. \`npx argpool check\` says what is missing.\n${DEMO}`);
  if (format === 'onnx') modules.ort = await import('onnxruntime-web/webgpu');
  else {
    await peer('@tensorflow/tfjs-backend-webgpu', "for argpool's path (TF.js webgpu backend)");
    await import('../dist/tfjs-layers/index.js');
  }

  // The inspection, with this adapter's buffer limits; TF.js models run at batch 1 unless told.
  const dims = { ...options.dims };
  const inspectOptions = { dims, version: version(), device: adapter };
  let read = readAndInspect(dist, path, inspectOptions);
  if (read.format === 'tfjs-layers' && read.report.symbolicDims.includes('batch') && dims.batch === undefined) {
    dims.batch = 1;
    read = readAndInspect(dist, path, inspectOptions);
  }
  // Inputs from .npy files set the symbolic dimensions they fill.
  const arrays = [];
  for (const given of options.inputs) {
    const name = given.name ?? (read.report.inputs.length === 1 ? read.report.inputs[0].name : fail(`argpool run: the model has ${read.report.inputs.length} inputs (${read.report.inputs.map((i) => i.name).join(', ')}): name each one, --input NAME=FILE`));
    let array;
    try {
      const stat = statSync(given.file);
      if (stat.size > read.report.limits.maxBindingBytes + 65536) fail(`argpool run: ${given.file} is ${stat.size} bytes, more than one tensor may hold here`);
      array = dist.readNpy(new Uint8Array(readFileSync(given.file)), given.file);
    } catch (error) {
      if (error?.status) throw error;
      fail(`argpool run: ${error?.message ?? error}`);
    }
    const input = read.report.inputs.find((i) => i.name === name);
    (input?.shape ?? []).forEach((d, axis) => {
      if (typeof d === 'string' && dims[d] === undefined && array.shape[axis] !== undefined) dims[d] = array.shape[axis];
    });
    arrays.push({ name, file: given.file, array });
  }
  if (arrays.length > 0) read = readAndInspect(dist, path, inspectOptions);
  const { report } = read;
  if (!report.canRun) {
    process.stdout.write(`${dist.formatModelReport(report, path).join('\n')}\n`);
    if (options.json) writeJson(options.json, { tool: 'argpool run', inspection: report, ok: false });
    return 1;
  }

  let inputs;
  try {
    const fromFiles = arrays.map((a) => ({ ...dist.inputFromNpy(report, a.name, a.array), source: a.file }));
    const rest = report.inputs.filter((i) => !arrays.some((a) => a.name === i.name));
    const random = dist.randomInputs({ ...report, inputs: rest }, options.seed).map((t) => ({ ...t, source: `random, uniform in [0, 1), seed ${options.seed}` }));
    inputs = report.inputs.map((i) => [...fromFiles, ...random].find((t) => t.name === i.name));
  } catch (error) {
    const dims = error?.dims?.length ? `: give ${error.dims.map((d) => `--dim ${d}=VALUE`).join(' ')}` : '';
    fail(`argpool run: ${error?.message ?? error}${dims}`);
  }

  const progress = process.stderr.isTTY ? (text) => process.stderr.write(`\r${text.slice(0, (process.stderr.columns || 100) - 1).padEnd((process.stderr.columns || 100) - 1)}`) : undefined;
  let engines;
  const notes = [];
  try {
    if (format === 'onnx') {
      const { ort, ortWasm } = modules;
      for (const module of [ort, ortWasm]) {
        module.env.wasm.numThreads = 1;
        module.env.logLevel = 'error';
      }
      progress?.('creating the sessions (ORT WebGPU parts, ORT wasm)');
      engines = await dist.createOnnxEngines(read.bytes, { ort, referenceOrt: ortWasm, where: ' (Dawn)', sessionOptions: { logSeverityLevel: 3 } });
      notes.push(
        "argpool's path is the adapter as an application runs it: ORT Web's WebGPU provider runs the ORT parts and argpool the pooling nodes, on one Dawn device " +
          '(bin/node-webgpu.js adapts Dawn in Node to ORT Web); the reference is ORT\'s wasm provider from onnxruntime-web\'s Node build, single-threaded',
      );
    } else {
      const { tf, tfl } = modules;
      const weights = read.weightPaths.map((file) => readFileSync(file));
      const weightData = new Uint8Array(weights.reduce((n, w) => n + w.byteLength, 0));
      let offset = 0;
      for (const w of weights) {
        weightData.set(w, offset);
        offset += w.byteLength;
      }
      progress?.('loading the model on TF.js webgpu and cpu');
      engines = await dist.createLayersEngines({
        tf,
        tfl,
        modelJson: JSON.parse(new TextDecoder().decode(read.jsonBytes)),
        weightData: weightData.buffer,
        outputNames: report.outputs.map((o) => o.name),
        where: ' (Dawn)',
      });
      notes.push("argpool's path: TF.js's webgpu backend on Dawn with argpool/tfjs-layers; the reference: TF.js's cpu backend (argpool's CPU reference for the two layers)");
    }
  } catch (error) {
    if (progress) process.stderr.write('\n');
    const engine = format === 'onnx' ? "ORT Web's WebGPU provider" : "TF.js's webgpu backend";
    fail(`argpool run: the model did not start on ${engine} in Node: ${error?.message ?? error}\n${DEMO}`);
  }
  if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) {
    notes.push('this adapter emulates a GPU on the CPU (SwiftShader): its times say little about a real GPU, where the GPU path is meant to win');
  }
  notes.push('each run moves the inputs from the CPU and reads every output back; the first run of each path compiles its shaders');

  let comparison;
  try {
    comparison = await dist.compareEngines(engines.argpool, engines.reference, inputs, {
      runs: options.runs,
      tolerance: options.tolerance,
      labelAgreement: options.labels,
      channelAxis: (output) => (format === 'onnx' ? 1 : output.shape.length - 1),
      onProgress: progress,
    });
  } catch (error) {
    if (progress) process.stderr.write('\n');
    fail(`argpool run: the run failed: ${error?.message ?? error}`);
  } finally {
    await engines.argpool.release().catch(() => undefined);
    await engines.reference.release().catch(() => undefined);
  }
  if (progress) process.stderr.write('\n');
  const webgpuVersion = (() => {
    try {
      return JSON.parse(readFileSync(createRequire(import.meta.url).resolve('webgpu').replace(/index\.js$/, 'package.json'), 'utf8')).version;
    } catch {
      return '?';
    }
  })();
  const run = {
    tool: 'argpool run',
    version: version(),
    environment: `Node ${process.version} (${process.platform}-${process.arch}), webgpu ${webgpuVersion}`,
    adapter: adapterWords(adapter.info, adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
    inspection: report,
    inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, source: t.source })),
    engines: comparison.engines,
    outputs: comparison.outputs,
    ...(comparison.steps ? { steps: comparison.steps } : {}),
    tolerance: options.tolerance,
    labelAgreement: options.labels,
    notes,
    ok: comparison.ok,
  };
  process.stdout.write(`${dist.formatRunReport(run, path).join('\n')}\n`);
  if (options.json) writeJson(options.json, run);
  return run.ok ? 0 : 1;
}
