#!/usr/bin/env node
// `npm test`: builds the package (dist/, which the tests of the public API and the adapters import by
// the package's name, so that they test what ships), finds a Chromium for the browser tests and a
// Vulkan driver for the Node GPU tests (scripts/environment.mjs), then runs Vitest with them in its
// environment; arguments pass through (`npm test -- --project node`). The Vulkan variables must be
// set before Vitest's processes start, because the dynamic linker reads them when Dawn loads.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findChromium, vulkanEnvironment } from '../scripts/environment.mjs';

const env = { ...process.env };
const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
const build = spawnSync(npm[0], [...npm.slice(1), 'run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'], env });
if (build.status !== 0) {
  console.error('test: npm run build failed; the tests import the built package');
  process.exit(1);
}
console.log('test: built the package into dist/');
try {
  const chromium = await findChromium(env);
  env.CHROMIUM_PATH = chromium.executablePath;
  if (chromium.packaged) env.ARGPOOL_CHROMIUM_PACKAGED = '1';
  console.log(`test: Chromium from ${chromium.source}: ${chromium.executablePath}`);
  const vulkan = await vulkanEnvironment(env);
  Object.assign(env, vulkan);
  console.log(`test: Vulkan for Dawn: ${vulkan.VK_ICD_FILENAMES ?? 'the system setup (VK_ICD_FILENAMES, VK_DRIVER_FILES or ARGPOOL_VULKAN=system)'}`);
} catch (error) {
  console.error(`test: ${error.message}`);
  process.exit(1);
}

const vitestPackage = createRequire(import.meta.url).resolve('vitest/package.json');
const vitest = join(dirname(vitestPackage), 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { env, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
