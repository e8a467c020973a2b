/**
 * The published package, used the way its users use it: `npm pack` makes the tarball (which builds
 * dist/ first), and throwaway projects outside the repository install it and
 * - run the README example in plain Node ESM on the `webgpu` package (Dawn),
 * - bundle it for the browser with esbuild and with Vite, no plugins or loaders, and run the bundle
 *   in headless Chromium on WebGPU,
 * - type-check a strict consumer (skipLibCheck off) under TypeScript 5 with @webgpu/types and under
 *   TypeScript 7 without it, each with moduleResolution bundler and nodenext,
 * - pass publint and Are The Types Wrong (ESM-only profile) without a single complaint.
 * Tools come from the repository's devDependencies; only the tarball is installed into a consumer,
 * plus symlinks to what a user would install beside it (`webgpu`, `@webgpu/types`, the peers).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions } from '../environment.mjs';

const run = promisify(execFile);
const repo = resolve(__dirname, '..', '..');
const bin = {
  tsc5: join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
  tsc7: join(repo, 'node_modules', 'typescript7', 'bin', 'tsc'),
  esbuild: join(repo, 'node_modules', 'esbuild', 'bin', 'esbuild'),
  vite: join(repo, 'node_modules', 'vite', 'bin', 'vite.js'),
  publint: join(repo, 'node_modules', 'publint', 'src', 'cli.js'),
  attw: join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'),
};

/** The README's first example; a consumer prints what it read back. */
const EXAMPLE = `
const x = ap.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 1, 3, 3]);
const { values, indices } = ap.maxPool(x, { kernelSize: 2, stride: 1 });
const y = ap.maxUnpool(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
const result = { values: [...await values.read()], indices: [...await indices.read()], unpooled: [...await y.read()] };
const reference = cpu.maxPool({ data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 1, 3, 3] }, { kernelSize: 2, stride: 1 });
result.reference = { values: [...reference.values.data], indices: [...reference.indices.data] };
for (const t of [x, values, indices, y]) t.destroy();
`;
const EXPECTED = {
  values: [5, 6, 8, 9],
  indices: [4, 5, 7, 8],
  unpooled: [0, 0, 0, 0, 5, 6, 0, 8, 9],
  reference: { values: [5, 6, 8, 9], indices: [4, 5, 7, 8] },
};

let work: string;
let tarball: string;

async function sh(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file, ...args], { cwd, env, maxBuffer: 64 << 20 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A consumer project with the tarball installed by npm, and symlinks to the named packages of the repository. */
async function consumer(name: string, links: string[], files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : npmCli();
  await sh(npm, ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], dir);
  for (const pkg of links) {
    const target = join(dir, 'node_modules', pkg);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repo, 'node_modules', pkg), target, 'dir');
  }
  return dir;
}

function npmCli(): string {
  // npm's own entry point, next to the node binary that runs these tests.
  return join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** Serves a folder on 127.0.0.1 (WebGPU needs a secure context: localhost counts). */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = join(root, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    try {
      const body = readFileSync(path.endsWith('/') ? join(path, 'index.html') : path);
      response.writeHead(200, { 'content-type': MIME[extname(path) || '.html'] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Opens a built page in headless Chromium and returns what it stored in `window.result`. */
async function runPage(root: string): Promise<unknown> {
  const { server, url } = await serve(root);
  const browser = await chromium.launch(await chromiumLaunchOptions());
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined || (window as { failure?: unknown }).failure !== undefined, null, { timeout: 60_000 });
    const failure = await page.evaluate(() => (window as { failure?: string }).failure);
    if (failure || errors.length) throw new Error(`the page failed: ${failure ?? ''} ${errors.join('; ')}`);
    return await page.evaluate(() => (window as { result?: unknown }).result);
  } finally {
    await browser.close();
    server.close();
  }
}

const BROWSER_MAIN = `import { ArgPool, cpu } from 'argpool';
try {
  const ap = await ArgPool.create();
  ${EXAMPLE}
  window.result = result;
} catch (error) {
  window.failure = String(error && error.stack || error);
}
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'argpool-consumers-'));
  await sh(npmCli(), ['pack', '--pack-destination', work], repo);
  const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack left no tarball in ${work}`);
  tarball = join(work, name);
}, 300_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the built modules, declarations and maps, and no ?raw or .ts imports', async () => {
    const dir = await consumer('contents', [], {});
    const root = join(dir, 'node_modules', 'argpool');
    const files = readdirSync(join(root, 'dist'), { recursive: true }).map(String);
    for (const entry of ['index', 'onnxruntime-web/index', 'tfjs/index', 'tfjs-layers/index']) {
      for (const suffix of ['.js', '.d.ts', '.d.ts.map']) expect(files).toContain(`${entry}${suffix}`);
    }
    expect(files).toContain('argpool.js.map');
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = readFileSync(join(root, 'dist', file), 'utf8');
      // Every module with code of its own maps back to its source; pure re-export modules have nothing to map.
      const code = text.split('\n').filter((line) => line.trim() && !/^(import|export) .* from ".*";$|^export \{[^}]*\};$|^\/\/[#@] source/.test(line));
      const map = /\/\/# sourceMappingURL=(\S+)/.exec(text)?.[1];
      // (The bundler's own helpers, under _virtual/, have no source to map to.)
      if (file.endsWith('.js') && code.length > 0 && !file.startsWith('_virtual')) expect(map, `${file} has no source map`).toBeDefined();
      if (map) expect(files, `${file} points at a missing map`).toContain(join(dirname(file), map));
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/\?raw|\.ts$|\.wgsl$/);
        if (specifier.startsWith('.')) {
          expect(specifier, `${file} imports ${specifier}`).toMatch(/\.js$/);
          // ... and the module is in the tarball (npm drops folders named node_modules, for one).
          const target = join(dirname(file), file.endsWith('.d.ts') ? specifier.replace(/\.js$/, '.d.ts') : specifier);
          expect(files, `${file} imports ${specifier}, which the tarball lacks`).toContain(target);
        }
      }
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    // Only argpool/tfjs-layers has an effect on import: it registers its layer classes with tfjs.
    expect(manifest.sideEffects).toEqual(['./dist/tfjs-layers/index.js']);
  }, 120_000);

  it('runs the README example in plain Node ESM on the webgpu package (Dawn)', async () => {
    const dir = await consumer('node-esm', ['webgpu'], {
      'main.mjs': `import { ArgPool, cpu } from 'argpool';
import { create } from 'webgpu';
const ap = await ArgPool.create({ gpu: create([]) });
${EXAMPLE}
ap.destroy();
console.log('RESULT ' + JSON.stringify(result));
`,
    });
    const output = await sh(join(dir, 'main.mjs'), [], dir);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, output).toBeDefined();
    expect(JSON.parse(line!.slice(7))).toEqual(EXPECTED);
  }, 120_000);

  it('bundles with esbuild, no plugins or loaders, and the bundle runs in Chromium on WebGPU', async () => {
    const dir = await consumer('esbuild', [], {
      'main.js': BROWSER_MAIN,
      'public/index.html': '<!doctype html><script type="module" src="./main.js"></script>',
    });
    await run(bin.esbuild, ['main.js', '--bundle', '--format=esm', '--platform=browser', '--target=es2022', '--outfile=public/main.js'], { cwd: dir });
    expect(await runPage(join(dir, 'public'))).toEqual(EXPECTED);
  }, 180_000);

  it('bundles with Vite, no plugins, and the bundle runs in Chromium on WebGPU', async () => {
    const dir = await consumer('vite', [], {
      'main.js': BROWSER_MAIN,
      'index.html': '<!doctype html><script type="module" src="./main.js"></script>',
    });
    await sh(bin.vite, ['build', '--logLevel', 'warn'], dir);
    expect(await runPage(join(dir, 'dist'))).toEqual(EXPECTED);
  }, 180_000);

  const typed = `import { ArgPool, cpu, type PoolOptions, type Tensor } from 'argpool';
import { InferenceSession } from 'argpool/onnxruntime-web';

export async function example(device: GPUDevice): Promise<Float32Array> {
  const ap = await ArgPool.create({ device });
  const options: PoolOptions = { kernelSize: 2, stride: 2 };
  const x: Tensor<'float32'> = ap.tensor(new Float32Array(16), [1, 1, 4, 4]);
  const { values, indices } = ap.maxPool2d(x, options);
  const host = cpu.maxPool({ data: new Float32Array(16), shape: [1, 1, 4, 4] }, options);
  void host.indices.data;
  const buffer: GPUBuffer = values.buffer;
  void buffer;
  void indices;
  return values.read();
}

export async function onnx(ort: typeof import('onnxruntime-web'), model: Uint8Array): Promise<readonly string[]> {
  const session = await InferenceSession.create(model, { ort, executionProviders: ['webgpu'] });
  const outputs = await session.run({ image: new ort.Tensor('float32', new Float32Array(3), [1, 3, 1, 1]) });
  void outputs;
  await session.release();
  return session.outputNames;
}
`;
  const typedTfjs = `import * as tf from '@tensorflow/tfjs-core';
import { maxPoolWithIndices, maxUnpool } from 'argpool/tfjs';

export function tfjs(x: tf.Tensor4D): tf.Tensor {
  const { values, indices } = maxPoolWithIndices(x, { kernelSize: 2, stride: 2 });
  return maxUnpool(values, indices, { kernelSize: 2, stride: 2 });
}
`;
  const tsconfig = (resolution: 'bundler' | 'nodenext', types: string[], file: string) =>
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: resolution === 'bundler' ? 'esnext' : 'nodenext',
        moduleResolution: resolution,
        lib: ['es2022', 'dom'],
        types,
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: [file],
    });
  /** tsc's errors, one per line, as `file(line,col): error TSnnnn: ...`; empty when it passes. */
  async function typeErrors(tsc: string, dir: string, project: string): Promise<string[]> {
    try {
      await run(process.execPath, [tsc, '-p', project], { cwd: dir, maxBuffer: 64 << 20 });
      return [];
    } catch (error) {
      const output = String((error as { stdout?: string }).stdout ?? '') + String((error as { stderr?: string }).stderr ?? '');
      const errors = output.split('\n').filter((line) => / error TS\d+/.test(line));
      if (errors.length === 0) throw error;
      return errors;
    }
  }
  const peers = ['onnxruntime-web', 'onnxruntime-common', '@tensorflow/tfjs-core'];
  for (const [compiler, types] of [
    ['TypeScript 5 with @webgpu/types', ['@webgpu/types']],
    ['TypeScript 7 without @webgpu/types', []],
  ] as const) {
    for (const resolution of ['bundler', 'nodenext'] as const) {
      it(`type-checks a strict consumer under ${compiler}, moduleResolution ${resolution}`, async () => {
        const tsc = compiler.startsWith('TypeScript 5') ? bin.tsc5 : bin.tsc7;
        const dir = await consumer(`tsc-${tsc === bin.tsc5 ? 5 : 7}-${resolution}`, [...types, ...peers], {
          'main.ts': typed,
          'tfjs.ts': typedTfjs,
          'tsconfig.json': tsconfig(resolution, [...types], 'main.ts'),
          'tsconfig.tfjs.json': tsconfig(resolution, [...types], 'tfjs.ts'),
        });
        const version = await sh(tsc, ['--version'], dir);
        expect(version).toMatch(tsc === bin.tsc5 ? /Version 5\./ : /Version 7\./);
        // The core and the ONNX Runtime adapter: not a single error, in argpool's declarations or the consumer's code.
        expect(await typeErrors(tsc, dir, 'tsconfig.json')).toEqual([]);
        // The tfjs adapter: tfjs-core's own declarations do not pass a strict check with skipLibCheck off
        // (they need @types/long globally, and bring a second, older copy of @webgpu/types that clashes
        // with the consumer's, or with TypeScript 7's lib.dom), whatever imports them. Every error must be
        // in those files: none in argpool's declarations or the consumer's code.
        const foreign = /node_modules\/(@tensorflow\/|@webgpu\/types\/)|\/lib\.dom\.d\.ts$/;
        const ours = (await typeErrors(tsc, dir, 'tsconfig.tfjs.json')).filter((line) => !foreign.test(line.split('(')[0]));
        expect(ours).toEqual([]);
      }, 120_000);
    }
  }

  it('passes publint with nothing to report', async () => {
    const output = await sh(bin.publint, ['run', tarball, '--strict'], work);
    expect(output).toMatch(/All good!/);
  }, 120_000);

  it('passes Are The Types Wrong for an ESM-only package', async () => {
    // The ESM-only profile judges node16 (from ESM) and bundler resolution; what CommonJS and node10
    // resolution would see is reported but ignored, as for any ESM-only package.
    const output = await sh(bin.attw, [tarball, '--profile', 'esm-only', '--format', 'json'], work);
    const report = JSON.parse(output.slice(output.indexOf('{')));
    const problems: { kind: string; entrypoint: string; resolutionKind: string }[] = report.analysis.problems;
    expect(problems.filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs')).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './onnxruntime-web', './package.json', './tfjs', './tfjs-layers']);
  }, 120_000);
});
