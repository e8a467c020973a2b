/**
 * `npx argpool inspect` and `npx argpool run` from the packed tarball, as a user runs them: one
 * throwaway project installs the tarball with the optional peers beside it (symlinks to the
 * repository's onnxruntime-web, tfjs packages and webgpu), another installs it alone. The trained
 * SegNet in both forms, a model with symbolic height and width, and the files that must be refused.
 * The GPU is Dawn on SwiftShader (scripts/environment.mjs), so `run` times say nothing about a real GPU;
 * what is asserted is that both paths ran and agree.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vulkanEnvironment } from '../../scripts/environment.mjs';
import { consumer, packTarball, removeWork, repo } from './harness';
import { dynamicSegnet, hugeKernel, hugeOutputShape, randomBytes, tfjsLyingManifest, truncatedSegnet, unsupportedOperator } from '../model/models';

const npmBin = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin');
const SEGNET = join(repo, 'models', 'segnet-shapes.onnx');
const SEGNET_TFJS = join(repo, 'models', 'segnet-shapes-tfjs', 'model.json');
const PEERS = ['webgpu', 'onnxruntime-web', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu'];

let work = '';
let withPeers = '';
let alone = '';
let env: NodeJS.ProcessEnv;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `npx argpool ...` in a consumer project, offline: the bin comes from the installed tarball. */
function npx(args: string[], cwd: string): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, [join(npmBin, 'npx-cli.js'), '--offline', '--no-install', 'argpool', ...args], { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const status = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      done({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** The .npy bytes of a float32 array (version 1.0, C order). */
function npy(shape: number[], values: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer), 10 + header.length);
  return out;
}

beforeAll(async () => {
  env = { ...process.env, ...(await vulkanEnvironment(process.env)) };
  let tarball: string;
  ({ work, tarball } = await packTarball());
  const image = new Float32Array(3 * 24 * 40).map((_, i) => (i % 7) / 7);
  withPeers = await consumer(work, tarball, 'model-with-peers', PEERS, {
    'random.onnx': randomBytes(),
    'truncated.onnx': truncatedSegnet(),
    'unsupported.onnx': unsupportedOperator(),
    'huge-output-shape.onnx': hugeOutputShape(),
    'huge-kernel.onnx': hugeKernel(),
    'dynamic.onnx': dynamicSegnet(),
    'image.npy': npy([1, 3, 24, 40], image),
    'lying/model.json': tfjsLyingManifest(),
    'lying/group1-shard1of1.bin': new Uint8Array(readFileSync(join(repo, 'models', 'segnet-shapes-tfjs', 'group1-shard1of1.bin'))),
  });
  alone = await consumer(work, tarball, 'model-alone', [], {});
  mkdirSync(join(alone, 'out'), { recursive: true });
}, 300_000);

afterAll(() => removeWork(work));

describe('npx argpool inspect, from the packed tarball', () => {
  it('describes the trained SegNet without a GPU or any optional peer, and writes the JSON report', async () => {
    const run = await npx(['inspect', SEGNET, '--json', 'out/segnet.json'], alone);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^argpool inspect \d+\.\d+\.\d+: .*segnet-shapes\.onnx \(ONNX, 1\.1 MiB\)$/);
    expect(lines).toContain('  image  float32  [1, 3, 128, 128]');
    expect(lines).toContain('  pool1    MaxPool    argpool  ONNX int64, flat over N,C,spatial        [1, 16, 128, 128] -> [1, 16, 64, 64]');
    expect(lines).toContain('  unpool1  MaxUnpool  argpool  reads ONNX int64, flat over N,C,spatial  [1, 16, 64, 64] -> [1, 16, 128, 128]');
    expect(lines).toContain("result: the model can run (8 of 8 pooling nodes on argpool's kernels, 8 ORT parts)");
    const report = JSON.parse(readFileSync(join(alone, 'out', 'segnet.json'), 'utf8'));
    expect(report).toMatchObject({ tool: 'argpool inspect', format: 'onnx', canRun: true, refusals: [] });
    expect(report.steps).toHaveLength(16);
  }, 120_000);

  it('describes the TF.js SegNet: the Keras layers on argpool, the rest on tfjs', async () => {
    const run = await npx(['inspect', SEGNET_TFJS], alone);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}pool1 {4}MaxPoolingWithArgmax2D {2}argpool {2}TF float32, \(y\*W\+x\)\*C\+c per image {7}\[\?, 128, 128, 16\] -> \[\?, 64, 64, 16\]$/m);
    expect(run.stdout).toMatch(/^ {2}1 {3}encoder1_1_conv … encoder1_2_relu: Conv2D ×2, BatchNormalization ×2, Activation ×2 {2}tfjs /m);
    expect(run.stdout).toContain("result: the model can run (8 of 8 pooling nodes on argpool's kernels)");
  }, 120_000);

  it('sets symbolic dimensions with --dim', async () => {
    const open = await npx(['inspect', 'dynamic.onnx'], withPeers);
    expect(open.status).toBe(0);
    expect(open.stdout).toContain('  image  float32  [1, 3, height, width]');
    const set = await npx(['inspect', 'dynamic.onnx', '--dim', 'height=64', '--dim', 'width=96'], withPeers);
    expect(set.status).toBe(0);
    expect(set.stdout).toContain('  image  float32  [1, 3, height, width]  [1, 3, 64, 96]');
    expect(set.stdout).toMatch(/^ {2}pool1 {4}MaxPool {4}argpool .* \[1, 4, 64, 96\] -> \[1, 4, 32, 48\]$/m);
  }, 120_000);

  it('refuses the bad files, each with its reason and what to change, and exits 1', async () => {
    const cases: [string, RegExp][] = [
      ['random.onnx', /^ {2}the file is not an ONNX model \(the protobuf decoder stopped: .+\)$/m],
      ['truncated.onnx', /^ {2}the file ends in the middle of the model: it starts as an ONNX model \(ir_version 8\) but stops after 597,533 bytes/m],
      ['unsupported.onnx', /^ {2}Frobnicate node "frob": "Frobnicate" is not an ONNX operator \(opset 11\), so no ONNX Runtime provider can run it$/m],
      ['huge-output-shape.onnx', /^ {2}MaxUnpool node "unpool": output_shape \[1, 1, 1048576, 1048576\] has 1,099,511,627,776 elements \(4 TiB\)/m],
      ['huge-kernel.onnx', /^ {2}MaxPool node "pool": kernel_shape \[1000000000, 1000000000\] has 1,000,000,000,000,000,000 taps per window/m],
      ['lying/model.json', /^ {2}weights group 1 \(group1-shard1of1\.bin\): its 82 weights declare 4,398,047,692,304 bytes \(4 TiB\), but the file holds 1,182,928 bytes$/m],
    ];
    for (const [file, message] of cases) {
      const run = await npx(['inspect', file], withPeers);
      expect(run.status, `${file}: ${run.stdout}${run.stderr}`).toBe(1);
      expect(run.stdout, file).toMatch(message);
      expect(run.stdout, file).toMatch(/^ {4}change: .+$/m);
      expect(run.stdout, file).toMatch(/^result: the model cannot run \(1 refusal\)$/m);
      // Bounded time: a hostile size is refused from the numbers, not by trying.
      expect(run.seconds, file).toBeLessThan(30);
    }
    const missing = await npx(['inspect', 'no-such-model.onnx'], withPeers);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^argpool: cannot read no-such-model\.onnx: ENOENT/);
  }, 300_000);

  it('prints its usage with --help, and refuses unknown options', async () => {
    const help = await npx(['inspect', '--help'], alone);
    expect(help.status).toBe(0);
    for (const option of ['--dim NAME=VALUE', '--json FILE']) expect(help.stdout).toContain(option);
    const unknown = await npx(['inspect', SEGNET, '--runs', '3'], alone);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('argpool: unknown option "--runs" for inspect');
    const general = await npx(['--help'], alone);
    expect(general.stdout).toMatch(/^ {2}inspect MODEL/m);
    expect(general.stdout).toMatch(/^ {2}run MODEL/m);
  }, 120_000);
});

describe('npx argpool run, from the packed tarball', () => {
  it('runs the trained SegNet through the adapter on Dawn and through ORT wasm, and they agree', async () => {
    const run = await npx(['run', SEGNET, '--runs', '1', '--json', 'segnet-run.json'], withPeers);
    console.log(`argpool run segnet-shapes.onnx: ${run.seconds.toFixed(1)} s\n${run.stdout}`);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^adapter: google, swiftshader, SwiftShader driver .* \(a fallback adapter: a CPU emulation of a GPU\)$/m);
    expect(run.stdout).toMatch(/^ {2}argpool adapter: ORT WebGPU parts \+ argpool kernels \(Dawn\) +\d/m);
    expect(run.stdout).toMatch(/^ {2}ORT wasm \(CPU\) +\d/m);
    expect(run.stdout).toMatch(/^result: the outputs agree/m);
    const report = JSON.parse(readFileSync(join(withPeers, 'segnet-run.json'), 'utf8'));
    expect(report).toMatchObject({ tool: 'argpool run', ok: true, tolerance: 0.001, labelAgreement: 0.995 });
    expect(report.inputs).toEqual([{ name: 'image', shape: [1, 3, 128, 128], dtype: 'float32', source: 'random, uniform in [0, 1), seed 1' }]);
    const [logits] = report.outputs;
    expect(logits).toMatchObject({ name: 'logits', shape: [1, 4, 128, 128], ok: true, withinTolerance: true, nanMismatches: 0 });
    expect(logits.maxAbsDifference).toBeLessThan(1e-3);
    expect(logits.labels.total).toBe(128 * 128);
    expect(logits.labels.equal / logits.labels.total).toBeGreaterThan(0.999);
    expect(report.engines.map((e: { role: string; runsMs: number[] }) => [e.role, e.runsMs.length])).toEqual([['argpool', 1], ['reference', 1]]);
    // The adapter's own steps: 8 ORT parts on ORT's WebGPU provider, 8 argpool nodes with their GPU time.
    expect(report.steps.map((s: { placement: string }) => s.placement)).toEqual(report.inspection.steps.map((s: { placement: string }) => s.placement));
    expect(report.steps.filter((s: { placement: string; gpuMs?: number }) => s.placement === 'argpool' && s.gpuMs! > 0)).toHaveLength(8);
  }, 600_000);

  it('runs the TF.js SegNet on TF.js webgpu (Dawn) with argpool/tfjs-layers and on TF.js cpu, and they agree', async () => {
    const run = await npx(['run', SEGNET_TFJS, '--runs', '1', '--json', 'tfjs-run.json'], withPeers);
    console.log(`argpool run segnet-shapes-tfjs: ${run.seconds.toFixed(1)} s\n${run.stdout}`);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(readFileSync(join(withPeers, 'tfjs-run.json'), 'utf8'));
    expect(report.inputs[0]).toMatchObject({ name: 'image', shape: [1, 128, 128, 3] });
    expect(report.engines.map((e: { label: string }) => e.label)).toEqual(['argpool/tfjs-layers on TF.js webgpu (Dawn)', "TF.js cpu (argpool's CPU reference for the two layers)"]);
    const [logits] = report.outputs;
    expect(logits).toMatchObject({ name: 'classifier', shape: [1, 128, 128, 4], ok: true, withinTolerance: true });
    expect(logits.labels).toMatchObject({ axis: 3, total: 128 * 128 });
    expect(logits.labels.equal / logits.labels.total).toBeGreaterThan(0.999);
  }, 600_000);

  it('asks for the symbolic dimensions it needs, takes an input from an .npy file, and refuses a model that cannot run', async () => {
    const open = await npx(['run', 'dynamic.onnx'], withPeers);
    expect(open.status).toBe(2);
    expect(open.stderr).toContain('argpool run: input "image" has shape [1, 3, height, width]: its dimensions height, width need values: give --dim height=VALUE --dim width=VALUE');
    const fromFile = await npx(['run', 'dynamic.onnx', '--input', 'image.npy', '--runs', '1', '--json', 'dynamic-run.json'], withPeers);
    expect(fromFile.status, `${fromFile.stdout}\n${fromFile.stderr}`).toBe(0);
    const report = JSON.parse(readFileSync(join(withPeers, 'dynamic-run.json'), 'utf8'));
    expect(report.inputs).toEqual([{ name: 'image', shape: [1, 3, 24, 40], dtype: 'float32', source: 'image.npy' }]);
    expect(report.inspection.dims).toEqual({ height: 24, width: 40 });
    expect(report.outputs[0]).toMatchObject({ name: 'logits', shape: [1, 3, 24, 40], ok: true });
    const refused = await npx(['run', 'huge-kernel.onnx'], withPeers);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^result: the model cannot run \(1 refusal\)$/m);
  }, 600_000);

  it('without the optional peers, says what to install', async () => {
    const run = await npx(['run', SEGNET], alone);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('argpool run needs the `webgpu` package');
    expect(run.stderr).toContain('npm install webgpu');
  }, 120_000);
});
