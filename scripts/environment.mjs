/**
 * Finds what the GPU tests run on, on any machine: a Chromium with a WebGPU adapter for the browser
 * tests, and a Vulkan loader plus driver for the `webgpu` package (Dawn) in the Node tests.
 *
 * Chromium, in order: $CHROMIUM_PATH, a system Chromium or Chrome, Playwright's own download, and
 * last the Chromium build shipped inside the `@sparticuz/chromium` npm package (unpacked into the
 * temporary directory together with SwiftShader and a Vulkan loader). Nothing is downloaded.
 *
 * Vulkan for Dawn: left alone when $VK_ICD_FILENAMES or $VK_DRIVER_FILES is set or $ARGPOOL_VULKAN is
 * `system` (a real GPU's driver); otherwise SwiftShader, from the system Chromium's folder or from the
 * files `@sparticuz/chromium` unpacks. A Vulkan loader is found through the dynamic linker, so these
 * variables must be set before the process that loads Dawn starts: `test/run.mjs` does that.
 *
 * Plain JavaScript, so that `test/run.mjs` can use it before anything compiles TypeScript.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Flags that give headless Chromium a WebGPU adapter without a GPU (SwiftShader) and keep it off the network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Extra flags the `@sparticuz/chromium` build needs to reach its bundled SwiftShader Vulkan. */
const PACKAGED_CHROMIUM_FLAGS = [
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--disable-vulkan-fallback-to-gl-for-testing',
  '--ignore-gpu-blocklist',
];

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/snap/bin/chromium'];

/** Folders that hold a Chromium's SwiftShader ICD next to a Vulkan loader. */
const SYSTEM_SWIFTSHADER_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/opt/google/chrome'];

/**
 * Unpacks the Chromium inside `@sparticuz/chromium` (once; later calls reuse the files) and returns
 * the binary's path and the folder holding its SwiftShader ICD and Vulkan loader.
 */
async function packagedChromium() {
  let module;
  try {
    module = await import('@sparticuz/chromium');
  } catch (error) {
    throw new Error(
      'No Chromium found for the GPU tests, and the npm package @sparticuz/chromium (a dev dependency that ' +
        `ships one) cannot be loaded: ${error.message}. Run \`npm install\`, set CHROMIUM_PATH, or install ` +
        'a Chromium (Debian/Ubuntu: `apt-get install chromium`).',
    );
  }
  const chromium = module.default;
  const executablePath = await chromium.executablePath();
  const folder = dirname(executablePath);
  // The package skips unpacking SwiftShader when its binary and a sentinel (libGLESv2.so) are there:
  // after a partial clean-up of the temporary folder the Vulkan ICD can be gone while both remain, and
  // WebGPU then finds no adapter. Remove the stale sentinel and unpack SwiftShader again.
  const icd = join(folder, 'vk_swiftshader_icd.json');
  if (!existsSync(icd)) {
    rmSync(join(folder, 'libGLESv2.so'), { force: true });
    const bin = join(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..', 'bin');
    await module.inflate(join(bin, 'swiftshader.tar.br'));
    if (!existsSync(icd)) throw new Error(`@sparticuz/chromium unpacked SwiftShader, but ${icd} is not there`);
  }
  return { executablePath, folder };
}

/** The Chromium for the browser tests, with the flags it needs. Throws, with what to do, when there is none. */
export async function findChromium(env = process.env) {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there`);
    const packaged = env.ARGPOOL_CHROMIUM_PACKAGED === '1';
    return { executablePath: fromEnv, args: packaged ? [...CHROMIUM_FLAGS, ...PACKAGED_CHROMIUM_FLAGS] : CHROMIUM_FLAGS, source: 'CHROMIUM_PATH', packaged };
  }
  for (const path of SYSTEM_CHROMIUMS) {
    if (existsSync(path)) return { executablePath: path, args: CHROMIUM_FLAGS, source: 'system', packaged: false };
  }
  try {
    const { chromium } = await import('playwright-core');
    const own = chromium.executablePath();
    if (own && existsSync(own)) return { executablePath: own, args: CHROMIUM_FLAGS, source: 'playwright', packaged: false };
  } catch {
    // Playwright throws when it has no browser of its own; the packaged Chromium comes next.
  }
  const { executablePath } = await packagedChromium();
  return { executablePath, args: [...CHROMIUM_FLAGS, ...PACKAGED_CHROMIUM_FLAGS], source: '@sparticuz/chromium', packaged: true };
}

/** Launch options for Playwright's Chromium. */
export async function chromiumLaunchOptions(env = process.env) {
  const { executablePath, args } = await findChromium(env);
  return { executablePath, args };
}

/**
 * The environment variables that give the `webgpu` package (Dawn) a Vulkan adapter, or {} when the
 * caller's own Vulkan setup is to be used.
 */
export async function vulkanEnvironment(env = process.env) {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.ARGPOOL_VULKAN === 'system') return {};
  let folder = SYSTEM_SWIFTSHADER_DIRS.find(
    (dir) => existsSync(join(dir, 'vk_swiftshader_icd.json')) && existsSync(join(dir, 'libvulkan.so.1')),
  );
  if (!folder) folder = (await packagedChromium()).folder;
  const icd = join(folder, 'vk_swiftshader_icd.json');
  const libraryPath = [folder, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd, LD_LIBRARY_PATH: libraryPath };
}

