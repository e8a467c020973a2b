/**
 * The published package, used the way its users use it: `npm pack` makes the tarball (which builds
 * dist/ first), and throwaway projects outside the repository install it with npm and
 * - import every entry point in plain Node ESM, run the README example there on the `webgpu` package
 *   (Dawn), and get a message that says what to install when Dawn finds no adapter;
 * - run one application page (test/consumers/app/main.js: the core, the ONNX Runtime Web adapter on
 *   MaxPool with Indices feeding MaxUnpool, the tfjs ops with the @tensorflow/tfjs union package) from
 *   a Vite dev server, a Vite production build, an esbuild bundle, a webpack 5 build and an unbundled
 *   page with an import map, in headless Chromium on WebGPU;
 * - type-check a strict consumer (skipLibCheck off) under the oldest supported TypeScript (5.7), the
 *   newest 5.x and TypeScript 7, with moduleResolution bundler and nodenext;
 * - pass publint and Are The Types Wrong (ESM-only profile) without a single complaint.
 * The tarball's own contents are checked first: only built modules, declarations and licences, no
 * copy of any package, every import declared, under the size the README states.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../models/graphs';
import { bin, consumer, launchChromium, packTarball, removeWork, repo, resultOf, run, serve, sh } from './harness';

/** The most the packed tarball may weigh (the README states it). */
const MAX_PACKED_BYTES = 190_000;
const ENTRY_POINTS = ['argpool', 'argpool/low-level', 'argpool/onnxruntime-web', 'argpool/tfjs', 'argpool/tfjs-layers'];

const X = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const POOLED = { values: [5, 6, 8, 9], indices: [4, 5, 7, 8], unpooled: [0, 0, 0, 0, 5, 6, 0, 8, 9] };
const CORE = { ...POOLED, reference: { values: POOLED.values, indices: POOLED.indices } };
/** MaxPoolingWithArgmax2D 2x2/2 'same' and MaxUnpooling2D(2) on 1..16 as [1, 4, 4, 1]: TensorFlow's (y * W + x) * C + c, as floats. */
const KERAS = {
  values: [6, 8, 14, 16],
  argmax: [5, 7, 13, 15],
  unpooled: [0, 0, 0, 0, 0, 6, 0, 8, 0, 0, 0, 0, 0, 14, 0, 16],
};

/** ONNX Runtime's 3x3 example: MaxPool 2x2/1 with an Indices output feeding MaxUnpool 2x2/1. */
function poolUnpoolModel(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 1, 3, 3]);
  g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [1, 1] }, 'pool');
  g.node('MaxUnpool', ['y', 'i'], ['u'], { kernel_shape: [2, 2], strides: [1, 1] }, 'unpool');
  g.output('y').output('i', 7).output('u');
  return g.build(11);
}

let work = '';
let tarball = '';
let browser: Browser;

beforeAll(async () => {
  ({ work, tarball } = await packTarball());
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  removeWork(work);
}, 120_000);

describe('the packed tarball', () => {
  it('holds built modules, declarations, README and licences, no copy of any package, every import declared, at most 190 kB', async () => {
    expect(statSync(tarball).size).toBeLessThanOrEqual(MAX_PACKED_BYTES);
    const dir = await consumer(work, tarball, 'contents', [], {});
    const root = join(dir, 'node_modules', 'argpool');
    for (const file of ['README.md', 'LICENSE', 'THIRD_PARTY_LICENSES', 'package.json']) expect(readdirSync(root)).toContain(file);
    const files = readdirSync(join(root, 'dist'), { recursive: true }).map(String).filter((f) => statSync(join(root, 'dist', f)).isFile());
    for (const entry of ['index', 'low-level', 'onnxruntime-web/index', 'tfjs/index', 'tfjs-layers/index']) {
      for (const suffix of ['.js', '.d.ts']) expect(files).toContain(`${entry}${suffix}`);
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    for (const file of files) {
      // Only what runs and its declarations: no maps (their sources are not shipped), no vendored folders.
      expect(file, `${file} is neither a module nor a declaration`).toMatch(/\.(js|d\.ts)$/);
      expect(file).not.toMatch(/(^|\/)(vendor|node_modules)\//);
      const text = readFileSync(join(root, 'dist', file), 'utf8');
      expect(text, `${file} points at a source map`).not.toMatch(/sourceMappingURL/);
      // A CommonJS package converted into ESM leaves these behind.
      expect(text, `${file} holds converted CommonJS`).not.toMatch(/\b(__commonJS|__toESM|require_\w+)\b|\brequire\(/);
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/\?raw|\.ts$|\.wgsl$/);
        if (specifier.startsWith('.')) {
          expect(specifier, `${file} imports ${specifier}`).toMatch(/\.js$/);
          const target = join(dirname(file), file.endsWith('.d.ts') ? specifier.replace(/\.js$/, '.d.ts') : specifier);
          expect(files, `${file} imports ${specifier}, which the tarball lacks`).toContain(target);
        } else if (!specifier.startsWith('node:')) {
          const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
          expect(declared, `${file} imports ${specifier}, which package.json does not declare`).toContain(pkg);
        }
      }
    }
    // No internal members in the declarations.
    for (const file of files.filter((f) => f.endsWith('.d.ts'))) expect(readFileSync(join(root, 'dist', file), 'utf8')).not.toMatch(/@internal/);
    expect(Object.keys(manifest.dependencies)).toEqual(['@bufbuild/protobuf']);
    // Only argpool/tfjs-layers has an effect on import: it registers its layer classes with tfjs.
    expect(manifest.sideEffects).toEqual(['./dist/tfjs-layers/index.js']);
    for (const key of ['repository', 'homepage', 'bugs', 'engines', 'license']) expect(manifest[key], key).toBeTruthy();
    for (const [path, target] of Object.entries(manifest.exports as Record<string, string | Record<string, string>>)) {
      if (typeof target === 'string') continue;
      // types first, default last, so every resolver finds the module.
      expect(Object.keys(target)[0], path).toBe('types');
      expect(Object.keys(target).at(-1), path).toBe('default');
    }
  }, 180_000);
});

describe('plain Node ESM', () => {
  it('imports every entry point, and require() of the package does not fail on a missing main', async () => {
    const dir = await consumer(work, tarball, 'node-entries', ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-layers'], {
      'main.mjs': `const loaded = {};
for (const name of ${JSON.stringify(ENTRY_POINTS)}) loaded[name] = Object.keys(await import(name)).sort();
console.log('RESULT ' + JSON.stringify(loaded));
`,
      'require.cjs': `try {
  const m = require('argpool');
  console.log('REQUIRE loaded ' + typeof m.ArgPool);
} catch (error) {
  console.log('REQUIRE ' + error.code + ' ' + error.message.split('\\n')[0]);
}
`,
    });
    const output = await sh(join(dir, 'main.mjs'), [], dir);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, output).toBeDefined();
    const loaded = JSON.parse(line!.slice(7)) as Record<string, string[]>;
    expect(loaded['argpool']).toEqual(expect.arrayContaining(['ArgPool', 'cpu']));
    // What applications call, and nothing of the kernels' plumbing.
    for (const name of ['recordMaxPool', 'dispatchGrid', 'WORKGROUP_SIZE', 'resolvePoolGeometry']) expect(loaded['argpool']).not.toContain(name);
    expect(loaded['argpool/low-level']).toEqual(expect.arrayContaining(['recordMaxPool', 'recordMaxUnpool', 'dispatchGrid', 'resolvePoolGeometry']));
    expect(loaded['argpool/onnxruntime-web']).toEqual(expect.arrayContaining(['InferenceSession']));
    expect(loaded['argpool/tfjs']).toEqual(expect.arrayContaining(['maxPoolWithIndices', 'maxUnpool', 'maxPoolWithArgmax']));
    expect(loaded['argpool/tfjs-layers']).toEqual(expect.arrayContaining(['MaxPoolingWithArgmax2D', 'MaxUnpooling2D']));
    // Node 20.19+ loads ES modules from require(); older ones throw ERR_REQUIRE_ESM. Never "no exports main".
    const required = (await sh(join(dir, 'require.cjs'), [], dir)).split('\n').find((l) => l.startsWith('REQUIRE '));
    expect(required).toMatch(/^REQUIRE (loaded function|ERR_REQUIRE_ESM )/);
  }, 120_000);

  it('runs the README example on the webgpu package (Dawn)', async () => {
    const dir = await consumer(work, tarball, 'node-esm', ['webgpu'], {
      'main.mjs': `import { ArgPool, cpu } from 'argpool';
import { create } from 'webgpu';
const ap = await ArgPool.create({ gpu: create([]) });
const x = ap.tensor(new Float32Array(${JSON.stringify(X)}), [1, 1, 3, 3]);
const { values, indices } = ap.maxPool(x, { kernelSize: 2, stride: 1 });
const y = ap.maxUnpool(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
const result = { values: [...await values.read()], indices: [...await indices.read()], unpooled: [...await y.read()] };
const reference = cpu.maxPool({ data: new Float32Array(${JSON.stringify(X)}), shape: [1, 1, 3, 3] }, { kernelSize: 2, stride: 1 });
result.reference = { values: [...reference.values.data], indices: [...reference.indices.data] };
ap.destroy();
console.log('RESULT ' + JSON.stringify(result));
`,
    });
    const output = await sh(join(dir, 'main.mjs'), [], dir);
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, output).toBeDefined();
    expect(JSON.parse(line!.slice(7))).toEqual(CORE);
  }, 120_000);

  it('says what to install when Dawn finds no adapter (no Vulkan driver)', async () => {
    const dir = await consumer(work, tarball, 'node-no-driver', ['webgpu'], {
      'main.mjs': `import { ArgPool } from 'argpool';
import { create } from 'webgpu';
try {
  await ArgPool.create({ gpu: create([]) });
  console.log('MESSAGE created');
} catch (error) {
  console.log('MESSAGE ' + error.message);
}
process.exit(0);
`,
    });
    // A driver list that names no driver: the loader finds none, Dawn no adapter.
    const env = { ...process.env, VK_ICD_FILENAMES: join(dir, 'no-driver.json'), VK_DRIVER_FILES: join(dir, 'no-driver.json') };
    const output = await sh(join(dir, 'main.mjs'), [], dir, env);
    const message = output.split('\n').find((l) => l.startsWith('MESSAGE ')) ?? output;
    expect(message).toMatch(/ArgPool\.create/);
    expect(message).toMatch(/Vulkan loader/);
    expect(message).toMatch(/libvulkan1/);
    expect(message).toMatch(/SwiftShader/);
    expect(message).not.toMatch(/navigator\.gpu/);
  }, 120_000);
});

describe('an application page in Chromium, bundled four ways and unbundled', () => {
  let app = '';
  const expected = {
    core: CORE,
    onnx: { ...POOLED, steps: expect.arrayContaining([expect.stringMatching(/MaxPool/), expect.stringMatching(/MaxUnpool/)]) },
    tfjs: { webgpu: { backend: 'webgpu', ...POOLED }, cpu: { backend: 'cpu', ...POOLED } },
    keras: { webgpu: { backend: 'webgpu', ...KERAS }, cpu: { backend: 'cpu', ...KERAS } },
  };
  const PEERS = ['onnxruntime-web', 'onnxruntime-common', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-data'];

  /** The page's static files beside its script: the model and ONNX Runtime's wasm files. */
  function writeStatic(folder: string): void {
    mkdirSync(join(folder, 'ort'), { recursive: true });
    writeFileSync(join(folder, 'pool-unpool.onnx'), poolUnpoolModel());
    const ortDist = join(repo, 'node_modules', 'onnxruntime-web', 'dist');
    for (const file of readdirSync(ortDist).filter((f) => /^ort-wasm-simd-threaded\.(jsep|asyncify)\.(mjs|wasm)$/.test(f))) copyFileSync(join(ortDist, file), join(folder, 'ort', file));
  }

  beforeAll(async () => {
    app = await consumer(work, tarball, 'app', PEERS, {
      'main.js': readFileSync(join(repo, 'test', 'consumers', 'app', 'main.js'), 'utf8'),
      'index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>',
    });
    writeStatic(join(app, 'public'));
    // The unbundled page is served from the project folder itself.
    writeStatic(app);
  }, 300_000);

  const PAGE = '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>';

  /** A bundler's output folder, with the page and its static files beside the bundle. */
  function bundleFolder(name: string): string {
    const out = join(app, name);
    writeStatic(out);
    writeFileSync(join(out, 'index.html'), PAGE);
    return out;
  }

  /** Serves a built folder and checks what the page reads back. */
  async function expectPageResult(folder: string, page = ''): Promise<void> {
    const { server, url } = await serve(folder);
    try {
      expect(await resultOf(browser, `${url}${page}`)).toEqual(expected);
    } finally {
      server.close();
    }
  }

  it('from a Vite dev server', async () => {
    const vite = await import('vite');
    const server = await vite.createServer({ root: app, configFile: false, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false } });
    await server.listen();
    try {
      const url = server.resolvedUrls!.local[0];
      expect(await resultOf(browser, url)).toEqual(expected);
    } finally {
      await server.close();
    }
  }, 300_000);

  it('from a Vite production build', async () => {
    await sh(bin.vite, ['build', '--logLevel', 'warn', '--outDir', 'www-vite'], app);
    await expectPageResult(join(app, 'www-vite'));
  }, 300_000);

  it('from an esbuild bundle', async () => {
    const out = bundleFolder('www-esbuild');
    await run(bin.esbuild, ['main.js', '--bundle', '--format=esm', '--platform=browser', '--target=es2022', `--outfile=${join(out, 'main.js')}`, '--log-level=warning'], { cwd: app });
    await expectPageResult(out);
  }, 300_000);

  it('from a webpack 5 build', async () => {
    const out = bundleFolder('www-webpack');
    writeFileSync(
      join(app, 'webpack.config.mjs'),
      `export default {
  mode: 'production',
  entry: './main.js',
  output: { path: ${JSON.stringify(out)}, filename: 'main.js', module: true, chunkFormat: 'module' },
  experiments: { outputModule: true },
  // Minifying the tfjs and ONNX Runtime bundles takes a minute on two cores and tests nothing of argpool.
  optimization: { minimize: false },
  performance: { hints: false },
};
`,
    );
    await sh(bin.webpack, ['--config', 'webpack.config.mjs', '--no-stats'], app);
    await expectPageResult(out);
  }, 300_000);

  it('unbundled, through an import map (the README page)', async () => {
    const imports = importMap('/node_modules/');
    writeFileSync(
      join(app, 'importmap.html'),
      `<!doctype html><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports }, null, 2)}</script>
<script type="module" src="./main.js"></script>`,
    );
    await expectPageResult(app, 'importmap.html');
  }, 300_000);
});

/** The README's import map: every bare import of argpool, its dependency and the peers, to files under `base`. */
function importMap(base: string): Record<string, string> {
  return {
    argpool: `${base}argpool/dist/index.js`,
    'argpool/onnxruntime-web': `${base}argpool/dist/onnxruntime-web/index.js`,
    'argpool/tfjs': `${base}argpool/dist/tfjs/index.js`,
    '@bufbuild/protobuf': `${base}@bufbuild/protobuf/dist/esm/index.js`,
    '@bufbuild/protobuf/codegenv2': `${base}@bufbuild/protobuf/dist/esm/codegenv2/index.js`,
    'argpool/tfjs-layers': `${base}argpool/dist/tfjs-layers/index.js`,
    'onnxruntime-web/webgpu': `${base}onnxruntime-web/dist/ort.webgpu.bundle.min.mjs`,
    // One tfjs module for the application and argpool/tfjs: the union package's ES module build.
    '@tensorflow/tfjs': `${base}@tensorflow/tfjs/dist/tf.fesm.js`,
    '@tensorflow/tfjs-core': `${base}@tensorflow/tfjs/dist/tf.fesm.js`,
    '@tensorflow/tfjs-layers': `${base}@tensorflow/tfjs/dist/tf.fesm.js`,
    '@tensorflow/tfjs-backend-webgpu': `${base}@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.js`,
  };
}

describe('TypeScript consumers', () => {
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
  const compilers = [
    { name: 'TypeScript 5.7 (the oldest supported) with @webgpu/types', tsc: bin.tsc57, version: /Version 5\.7\./, types: ['@webgpu/types'] },
    { name: 'TypeScript 5 (the newest 5.x) with @webgpu/types', tsc: bin.tsc5, version: /Version 5\.\d+\./, types: ['@webgpu/types'] },
    { name: 'TypeScript 7 without @webgpu/types', tsc: bin.tsc7, version: /Version 7\./, types: [] },
  ];
  for (const compiler of compilers) {
    for (const resolution of ['bundler', 'nodenext'] as const) {
      it(`type-checks a strict consumer under ${compiler.name}, moduleResolution ${resolution}`, async () => {
        const dir = await consumer(work, tarball, `tsc-${compilers.indexOf(compiler)}-${resolution}`, [...compiler.types, ...peers], {
          'main.ts': typed,
          'tfjs.ts': typedTfjs,
          'tsconfig.json': tsconfig(resolution, [...compiler.types], 'main.ts'),
          'tsconfig.tfjs.json': tsconfig(resolution, [...compiler.types], 'tfjs.ts'),
        });
        expect(await sh(compiler.tsc, ['--version'], dir)).toMatch(compiler.version);
        // The core and the ONNX Runtime adapter: not a single error, in argpool's declarations or the consumer's code.
        expect(await typeErrors(compiler.tsc, dir, 'tsconfig.json')).toEqual([]);
        // The tfjs adapter: tfjs-core's own declarations do not pass a strict check with skipLibCheck off
        // (they need @types/long globally, and bring a second, older copy of @webgpu/types that clashes
        // with the consumer's, or with TypeScript 7's lib.dom), whatever imports them. Every error must be
        // in those files: none in argpool's declarations or the consumer's code.
        const foreign = /node_modules\/(@tensorflow\/|@webgpu\/types\/)|\/lib\.dom\.d\.ts$/;
        const ours = (await typeErrors(compiler.tsc, dir, 'tsconfig.tfjs.json')).filter((line) => !foreign.test(line.split('(')[0]));
        expect(ours).toEqual([]);
      }, 120_000);
    }
  }
});

describe('package lint', () => {
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
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './low-level', './onnxruntime-web', './package.json', './tfjs', './tfjs-layers']);
  }, 120_000);
});
