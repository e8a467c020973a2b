/**
 * `npx argpool check` from the packed tarball, the way a user runs it: a throwaway project installs
 * the tarball (test/consumers/harness.ts, with a symlink to the repository's `webgpu` package, as a
 * user would install it beside argpool), and npx runs the bin in Node on Dawn, with the Vulkan setup
 * of scripts/environment.mjs (SwiftShader here). A second project without `webgpu` shows the message
 * that names it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vulkanEnvironment } from '../../scripts/environment.mjs';
import { consumer, packTarball, removeWork, repo } from './harness';

const npmBin = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin');

let work: string;
let withWebgpu: string;
let withoutWebgpu: string;
let env: NodeJS.ProcessEnv;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a Node script and returns its exit status and output, whatever the status. */
function node(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, env: { ...env, ...extraEnv }, maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      const status = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
      done({ status, stdout, stderr });
    });
  });
}

/** `npx argpool ...` in a consumer project, offline: the bin comes from the installed tarball. */
function npx(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return node([join(npmBin, 'npx-cli.js'), '--offline', '--no-install', 'argpool', ...args], cwd, extraEnv);
}

beforeAll(async () => {
  env = { ...process.env, ...(await vulkanEnvironment(process.env)) };
  let tarball: string;
  ({ work, tarball } = await packTarball());
  withWebgpu = await consumer(work, tarball, 'with-webgpu', ['webgpu'], {});
  withoutWebgpu = await consumer(work, tarball, 'without-webgpu', [], {});
}, 300_000);

afterAll(() => removeWork(work));

/** The count in `conformance: K of N checks passed`, which must appear exactly once. */
function conformance(stdout: string): { passed: number; total: number } {
  const lines = stdout.split('\n').filter((line) => line.startsWith('conformance: '));
  expect(lines, stdout).toHaveLength(1);
  const match = /^conformance: (\d+) of (\d+) checks passed/.exec(lines[0]);
  expect(match, lines[0]).not.toBeNull();
  return { passed: Number(match![1]), total: Number(match![2]) };
}

describe('npx argpool check, from the packed tarball', () => {
  it('passes every check of the quick plan on SwiftShader, prints the adapter and the speed table, and writes the JSON report', async () => {
    const started = Date.now();
    const run = await npx(['check', '--quick', '--json', 'report.json'], withWebgpu);
    const seconds = (Date.now() - started) / 1000;
    console.log(`argpool check --quick: ${seconds.toFixed(1)} s`);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const { passed, total } = conformance(run.stdout);
    expect(total).toBeGreaterThan(200);
    expect(passed).toBe(total);
    expect(run.stdout).not.toMatch(/^FAIL /m);
    expect(run.stdout).toMatch(/^adapter: vendor google, architecture swiftshader, .*isFallbackAdapter true$/m);
    expect(run.stdout).toMatch(/^features: .*timestamp-query/m);
    expect(run.stdout).toMatch(/^limits \(adapter \/ argpool's device\): maxBufferSize \d+/m);
    expect(run.stdout).toMatch(/^host: \d+(\.\d+)? µs per recorded operation/m);

    const report = JSON.parse(readFileSync(join(withWebgpu, 'report.json'), 'utf8'));
    expect(report.tool).toBe('argpool check');
    expect(report.version).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
    expect(report.environment).toMatch(/^Node v\d+/);
    expect(report.ok).toBe(true);
    expect(report.options).toMatchObject({ quick: true, profile: 'auto' });
    expect(report.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true, autoProfile: 'emulated', primaryProfile: 'emulated' });
    expect(report.adapter.features).toContain('timestamp-query');
    expect(report.adapter.deviceLimits.maxStorageBufferBindingSize).toBe(report.adapter.limits.maxStorageBufferBindingSize);
    const c = report.conformance;
    expect([c.passed, c.total, c.failures]).toEqual([total, total, []]);
    expect(c.checks).toHaveLength(total);
    expect(c.checks.every((check: { ok: boolean }) => check.ok)).toBe(true);
    // The plan reaches what it claims: every output, context, index format, layout and rank, and the folded grid.
    const ids: string[] = c.checks.map((check: { id: string }) => check.id);
    const outputs = new Set(c.checks.map((check: { output: string }) => check.output.replace(/ \(fill .*\)$/, '')));
    for (const output of ['values', 'indices', 'maxUnpool', 'maxUnpoolBackward', 'maxPoolBackward', 'refused']) expect(outputs).toContain(output);
    expect(new Set(c.checks.map((check: { context: string }) => check.context))).toEqual(new Set(['primary', 'other-profile', 'general']));
    for (const rank of [1, 2, 3]) {
      for (const layout of ['NCHW', 'NHWC']) {
        for (const format of ['spatial', 'flat', 'flat-no-batch', 'window']) expect(ids).toContain(`formats/${rank}d-${layout}-${format} primary indices`);
      }
    }
    for (const kind of ['ties', 'nan', 'inf', 'all-neg-inf', 'special']) expect(ids).toContain(`values/${kind}-2d-tiled other-profile values`);
    for (const padding of ['number', 'per-dim', 'begin-end', 'same', 'valid']) expect(ids.some((id) => id.startsWith(`geometry/padding-${padding}`))).toBe(true);
    expect(ids).toContain('size/folded-grid general values');
    // float16: compared as float16 bits; packed here (no shader-f16), so the forced-packed context does not run.
    expect(c.float16Storage).toBe('float16-packed');
    expect(c.contexts['float16-packed']).toMatch(/^not run/);
    expect(c.checks.find((check: { id: string }) => check.id === 'float16/tiled-2d primary values').comparison).toBe('half-bits');
    expect(c.checks.find((check: { id: string }) => check.id === 'float16/overlap-3x3-2 general maxPoolBackward').comparison).toBe('half-sum-bits');
    expect(ids).toContain('geometry/fill-bilinear-2d primary maxUnpool (fill bilinear)');
    expect(c.checks.find((check: { id: string }) => check.id === 'geometry/fill-bilinear-2d primary maxUnpool (fill bilinear)').comparison).toBe('close');
    // Quick mode leaves out the tensor over 128 MiB.
    expect(ids.some((id) => id.startsWith('size/over-128MiB'))).toBe(false);

    const speed = report.speed;
    expect(speed.method).toBe('timestamp-query');
    expect(speed.rows.map((r: { kernel: string }) => r.kernel)).toEqual([
      'maxPool 2x2/2',
      'maxPool 3x3/2 pad 1',
      "maxPool 2x2/2 'window' indices",
      'maxUnpool 2x2/2',
      'maxPoolBackward 2x2/2',
      'maxUnpoolBackward 2x2/2',
    ]);
    for (const row of speed.rows) {
      expect(row.ms).toBeGreaterThan(0);
      expect(row.copyKernelMs).toBeGreaterThan(0);
      expect(row.copyBufferMs).toBeGreaterThan(0);
      expect(row.ratioToCopyKernel).toBeCloseTo(row.ms / row.copyKernelMs, 6);
      expect(row.ratioToCopyBuffer).toBeCloseTo(row.ms / row.copyBufferMs, 6);
    }
    expect(speed.host.pairs).toBe(1000);
    expect(speed.host.rounds).toHaveLength(5);
    expect(speed.host.usPerOperation).toBe(Math.min(...speed.host.rounds));
  }, 600_000);

  it('reports a mismatch with its case and exits non-zero', async () => {
    // Check 2 of the plan is the indices of the first case: its expectation is corrupted on purpose.
    const run = await npx(['check', '--only', 'formats/2d-NCHW-spatial', '--no-speed', '--inject-mismatch', '2', '--json', 'failed.json'], withWebgpu);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(1);
    const { passed, total } = conformance(run.stdout);
    expect(total).toBeGreaterThan(3);
    expect(passed).toBe(total - 1);
    expect(run.stdout).toMatch(/^FAIL formats\/2d-NCHW-spatial primary indices: 1 of 120 elements differ; first \(position: actual, expected\): 0: (\d+), (\d+)$/m);
    expect(run.stdout).toMatch(/^ {5}case formats\/2d-NCHW-spatial: \{"shape":\[2,3,8,10\],"pool":\{"kernelSize":2,"stride":2,"layout":"NCHW","indexFormat":"spatial"\},"kind":"ties","seed":\d+\}$/m);
    const report = JSON.parse(readFileSync(join(withWebgpu, 'failed.json'), 'utf8'));
    expect(report.ok).toBe(false);
    expect(report.speed).toBeNull();
    expect(report.conformance.failures).toHaveLength(1);
    expect(report.conformance.failures[0]).toMatchObject({ id: 'formats/2d-NCHW-spatial primary indices', comparison: 'ints', ok: false });
    expect(report.conformance.failures[0].definition.shape).toEqual([2, 3, 8, 10]);
  }, 300_000);

  it('runs the plan on the profile --profile names and asks for the adapter --power-preference names; a wrong --adapter lists the adapters', async () => {
    const run = await npx(['check', '--only', 'formats/2d-NHWC', '--no-speed', '--profile', 'gpu', '--power-preference', 'low-power', '--json', 'profile.json'], withWebgpu);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain("launch profile: 'gpu' (forced; argpool would choose 'emulated')");
    const { passed, total } = conformance(run.stdout);
    expect(passed).toBe(total);
    const report = JSON.parse(readFileSync(join(withWebgpu, 'profile.json'), 'utf8'));
    expect(report.options).toMatchObject({ profile: 'gpu', powerPreference: 'low-power', only: 'formats/2d-NHWC' });
    expect(report.adapter).toMatchObject({ primaryProfile: 'gpu', autoProfile: 'emulated' });
    expect(report.conformance.contexts['other-profile']).toMatch(/'emulated'/);
    // Four index formats, each on all three contexts.
    expect(new Set(report.conformance.checks.map((c: { case: string; context: string }) => `${c.case} ${c.context}`)).size).toBe(12);

    const wrong = await npx(['check', '--adapter', 'no such adapter', '--quick'], withWebgpu);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('argpool check: Dawn has no adapter named "no such adapter"');
    expect(wrong.stderr).toMatch(/Available adapters:\s+\* backend: 'vulkan', name: 'SwiftShader/);
  }, 300_000);

  it('without the webgpu package, says which package to install and how', async () => {
    const run = await npx(['check', '--quick'], withoutWebgpu);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('argpool check needs the `webgpu` package (Dawn, WebGPU for Node)');
    expect(run.stderr).toContain('npm install webgpu');
  }, 120_000);

  it('without a Vulkan driver, says what is missing and what to install', async () => {
    const run = await npx(['check', '--quick'], withWebgpu, { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('argpool check: Dawn (the `webgpu` package) found no GPU adapter.');
    expect(run.stderr).toContain('a Vulkan loader (libvulkan.so.1)');
    expect(run.stderr).toContain('SwiftShader');
  }, 120_000);

  it('prints its usage with --help, and refuses unknown options and values', async () => {
    const help = await npx(['check', '--help'], withWebgpu);
    expect(help.status).toBe(0);
    for (const option of ['--adapter', '--power-preference', '--profile', '--quick', '--json', '--help']) expect(help.stdout).toContain(option);
    const unknown = await npx(['check', '--fast'], withWebgpu);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('argpool: unknown option "--fast"');
    const profile = await npx(['check', '--profile', 'fast'], withWebgpu);
    expect(profile.status).toBe(2);
    expect(profile.stderr).toContain('argpool: --profile must be emulated or gpu, got "fast"');
  }, 120_000);
});
