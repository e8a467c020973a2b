#!/usr/bin/env node
// `npx argpool check`: verifies argpool on this machine's WebGPU adapter (Dawn, from the `webgpu`
// package) against its CPU reference, measures it, and prints (and with --json writes) a report.
// The plan and the report live in dist/check/ (src/check/), shared with the demo's "Check this GPU" view.
// `npx argpool inspect MODEL` and `npx argpool run MODEL` (bring your own model) are in model.js.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { commandLine, exit, fail, Stop } from './stop.js';

const COMMANDS = `Usage: npx argpool <command> [options]

Commands:
  check            verify and measure argpool on this machine's GPU
  inspect MODEL    say what argpool will do with an ONNX model or a TF.js layers model.json (no GPU needed)
  run MODEL        run the model through argpool on this GPU and through a CPU reference, and compare

\`npx argpool <command> --help\` describes each one.
Exit status: 0 when all is well, 1 when a check fails, a model cannot run or its outputs differ,
2 when the command could not run.`;

const USAGE = `Usage: npx argpool check [options]

Runs argpool's conformance plan on this machine's WebGPU adapter (pooling, unpooling and both
gradients against the CPU reference, bit for bit where values are copied), then a speed table, and
prints one line "conformance: N of N checks passed" with the adapter's details.
Exit status: 0 when every check passed, 1 on any mismatch, 2 when the check could not run.

Options:
  --adapter NAME              use the Dawn adapter whose name is NAME (a wrong name lists them)
  --power-preference PREF     low-power or high-performance
  --profile emulated|gpu      launch profile of the main run (default: chosen for the adapter)
  --quick                     skip tensors over 128 MiB and half of the random cases; shorter speed table
  --only TEXT                 run only the cases whose id contains TEXT (ids are in the report)
  --no-speed                  conformance only
  --json FILE                 write the whole report (every check, the speed table) to FILE
  --inject-mismatch N         corrupt the expected result of check N, to see (and test) how a failure reads
  -h, --help                  this text

Needs Node 20 or newer and the \`webgpu\` package (npm install webgpu), which reaches the GPU
through Vulkan on Linux, Metal on macOS and Direct3D 12 on Windows.`;

const NO_WEBGPU = `argpool check needs the \`webgpu\` package (Dawn, WebGPU for Node), an optional peer dependency
of argpool. Install it next to argpool and run the check again:

  npm install webgpu
  npx argpool check`;

const NO_ADAPTER = `argpool check: Dawn (the \`webgpu\` package) found no GPU adapter.
On Linux Dawn reaches the GPU through Vulkan, so it needs:
  - a Vulkan loader (libvulkan.so.1): Debian/Ubuntu \`apt-get install libvulkan1\`, Fedora \`dnf install vulkan-loader\`;
  - a Vulkan driver for the GPU: Mesa's (\`apt-get install mesa-vulkan-drivers\`) for AMD and Intel,
    NVIDIA's own driver (it ships nvidia_icd.json); \`vulkaninfo --summary\` (vulkan-tools) lists what Vulkan sees;
  - on a machine without a GPU, a CPU driver: SwiftShader. Chromium ships one; point the loader at it,
    for example VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian's chromium package).
If a driver is installed elsewhere, VK_ICD_FILENAMES (or VK_DRIVER_FILES) names its JSON manifest.`;

function parse(argv) {
  const options = { quick: false, speed: true };
  const line = commandLine(argv, USAGE);
  const value = (name) => line.value(name);
  while (!line.done) {
    const arg = line.next();
    switch (arg) {
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--no-speed':
        options.speed = false;
        break;
      case '--adapter':
        options.adapter = value(arg);
        break;
      case '--power-preference': {
        const v = value(arg);
        if (v !== 'low-power' && v !== 'high-performance') fail(`argpool: --power-preference must be low-power or high-performance, got ${JSON.stringify(v)}`);
        options.powerPreference = v;
        break;
      }
      case '--profile': {
        const v = value(arg);
        if (v !== 'emulated' && v !== 'gpu') fail(`argpool: --profile must be emulated or gpu, got ${JSON.stringify(v)}`);
        options.profile = v;
        break;
      }
      case '--only':
        options.only = value(arg);
        break;
      case '--json':
        options.json = value(arg);
        break;
      case '--inject-mismatch': {
        const v = Number(value(arg));
        if (!Number.isInteger(v) || v < 1) fail('argpool: --inject-mismatch needs a check number (1 or more)');
        options.injectMismatch = v;
        break;
      }
      default:
        fail(`argpool: unknown option ${JSON.stringify(arg)}\n\n${USAGE}`);
    }
  }
  return options;
}

async function main() {
  const args = process.argv.slice(2);
  const command = args[0] && !args[0].startsWith('-') ? args.shift() : undefined;
  if (command === 'inspect' || command === 'run') {
    const model = await import('./model.js');
    return command === 'inspect' ? model.inspectCommand(args) : model.runCommand(args);
  }
  if (command === undefined || command === 'help') {
    if (command === 'help' || args.includes('--help') || args.includes('-h')) {
      process.stdout.write(`${COMMANDS}\n`);
      return 0;
    }
    fail(COMMANDS);
  }
  if (command !== 'check') fail(`argpool: unknown command ${JSON.stringify(command)}\n\n${COMMANDS}`);
  const options = parse(args);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) fail(`argpool check needs Node 20 or newer; this is Node ${process.versions.node}.`);

  let webgpu;
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test(String(error.message))) fail(NO_WEBGPU);
    fail(`argpool check: the \`webgpu\` package is installed but did not load: ${error?.message ?? error}\n\n${NO_WEBGPU}`);
  }

  let check;
  try {
    check = await import('../dist/check/index.js');
  } catch (error) {
    fail(`argpool check: argpool's built modules (dist/) did not load: ${error?.message ?? error}. In a checkout, run \`npm run build\` first.`);
  }

  const require = createRequire(import.meta.url);
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  let webgpuVersion = '';
  try {
    webgpuVersion = JSON.parse(readFileSync(require.resolve('webgpu').replace(/index\.js$/, 'package.json'), 'utf8')).version;
  } catch {
    // The version is for the report only.
  }

  let gpu;
  try {
    gpu = webgpu.create(options.adapter ? [`adapter=${options.adapter}`] : []);
  } catch (error) {
    fail(`argpool check: Dawn could not start${options.adapter ? ` with adapter ${JSON.stringify(options.adapter)}` : ''}: ${error?.message ?? error}`);
  }

  const progress = process.stderr.isTTY
    ? ({ phase, done, total, label, failed }) => {
        const width = 30;
        const filled = total ? Math.round((done / total) * width) : 0;
        const text = `${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${failed ? `, ${failed} failed` : ''} ${label}`;
        process.stderr.write(`\r${text.slice(0, (process.stderr.columns || 100) - 1).padEnd((process.stderr.columns || 100) - 1)}`);
      }
    : undefined;

  let report;
  try {
    report = await check.runCheck({
      gpu,
      powerPreference: options.powerPreference,
      profile: options.profile,
      quick: options.quick,
      skipSpeed: !options.speed,
      only: options.only,
      injectMismatch: options.injectMismatch,
      version,
      environment: `Node ${process.version} (${process.platform}-${process.arch}), webgpu ${webgpuVersion || '?'}`,
      onProgress: progress,
    });
  } catch (error) {
    if (progress) process.stderr.write('\n');
    if (error instanceof check.NoAdapterError) fail(NO_ADAPTER);
    const text = String(error?.message ?? error);
    if (/no suitable backends|Available adapters/i.test(text)) fail(`argpool check: Dawn has no adapter named ${JSON.stringify(options.adapter)}: ${text}`);
    fail(`argpool check could not run: ${error?.stack ?? error}`);
  }
  if (progress) process.stderr.write('\n');

  process.stdout.write(`${check.formatReport(report).join('\n')}\n`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${options.json}\n`);
  }
  return report.ok ? 0 : 1;
}

main().then(
  // Dawn keeps the process alive while its instance exists: leave explicitly.
  (status) => exit(status),
  (error) => {
    process.stderr.write(error instanceof Stop ? `${error.message}\n` : `argpool: ${error?.stack ?? error}\n`);
    exit(error instanceof Stop ? error.status : 2);
  },
);
