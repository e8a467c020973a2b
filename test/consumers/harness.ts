/**
 * What the consumer tests share: the packed tarball, throwaway projects outside the repository that
 * install it with npm (its dependencies come from the registry or npm's cache, as for any user), a
 * static file server on 127.0.0.1 and headless Chromium to open pages in.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright';
import { chromiumLaunchOptions } from '../../scripts/environment.mjs';

export const run = promisify(execFile);
export const repo = resolve(__dirname, '..', '..');

/** Tools from the repository's devDependencies, run with the Node that runs the tests. */
export const bin = {
  tsc57: join(repo, 'node_modules', 'typescript57', 'bin', 'tsc'),
  tsc5: join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
  tsc7: join(repo, 'node_modules', 'typescript7', 'bin', 'tsc'),
  esbuild: join(repo, 'node_modules', 'esbuild', 'bin', 'esbuild'),
  vite: join(repo, 'node_modules', 'vite', 'bin', 'vite.js'),
  webpack: join(repo, 'node_modules', 'webpack-cli', 'bin', 'cli.js'),
  publint: join(repo, 'node_modules', 'publint', 'src', 'cli.js'),
  attw: join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'),
};

/** Runs a Node script or tool; a failure carries its output. */
export async function sh(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout, stderr } = await run(process.execPath, [file, ...args], { cwd, env, maxBuffer: 64 << 20 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export function npmCli(): string {
  if (process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)) return process.env.npm_execpath;
  // npm's own entry point, next to the node binary that runs these tests.
  return join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

/**
 * A folder for one test file's consumers, and the tarball `npm pack` made there from dist/ as
 * `npm test` built it. (`npm pack` alone runs the build first, through `prepack`; here that would
 * rewrite dist/ under the browser tests that import it at the same time.)
 */
export async function packTarball(): Promise<{ work: string; tarball: string }> {
  const work = mkdtempSync(join(tmpdir(), 'argpool-consumers-'));
  await sh(npmCli(), ['pack', '--ignore-scripts', '--pack-destination', work], repo);
  const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack left no tarball in ${work}`);
  return { work, tarball: join(work, name) };
}

/**
 * A consumer project: `files` written, the tarball installed by npm with its dependencies, and
 * symlinks to the named packages of the repository (what a user installs beside argpool: the peers,
 * `webgpu`, bundlers' inputs), so that the tests need no second download of them.
 */
export async function consumer(work: string, tarball: string, name: string, links: string[], files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  await sh(npmCli(), ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], dir);
  for (const pkg of links) {
    const target = join(dir, 'node_modules', pkg);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repo, 'node_modules', pkg), target, 'dir');
  }
  return dir;
}

export function removeWork(work: string | undefined): void {
  if (work) rmSync(work, { recursive: true, force: true });
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/** Serves a folder on 127.0.0.1 (WebGPU needs a secure context: localhost counts). */
export async function serve(root: string): Promise<{ server: Server; url: string }> {
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

export async function launchChromium(): Promise<Browser> {
  return chromium.launch(await chromiumLaunchOptions());
}

/** Opens a page and returns what it stored in `window.result`; `window.failure` or a page error fails. */
export async function resultOf(browser: Browser, url: string, timeout = 120_000): Promise<unknown> {
  const page = await browser.newPage();
  try {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined || (window as { failure?: unknown }).failure !== undefined, null, { timeout });
    const failure = await page.evaluate(() => (window as { failure?: string }).failure);
    if (failure || errors.length) throw new Error(`the page at ${url} failed: ${failure ?? ''} ${errors.join('; ')}`);
    return await page.evaluate(() => (window as { result?: unknown }).result);
  } finally {
    await page.close();
  }
}
