import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions } from './scripts/environment.mjs';

// Vitest 5's reporter calls Map.groupBy (Node 21+) when it prints failures; this machine runs Node 20.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    value<K, T>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, T[]> {
      const groups = new Map<K, T[]>();
      let index = 0;
      for (const item of items) {
        const k = key(item, index++);
        const list = groups.get(k);
        if (list) list.push(item);
        else groups.set(k, [item]);
      }
      return groups;
    },
  });
}

export default defineConfig(async (): Promise<ViteUserConfig> => ({
  test: {
    // Three forks for the Node files, which run first (much of their time waits on npm and on child
    // processes); then the browser and end-to-end files, one at a time each, side by side (projects
    // without file parallelism form a group of their own, run last). With Vitest's default on two
    // cores (cores - 1), every project joins that last group and the Node files wait for the
    // end-to-end ones in one lane: 19 minutes for CI here against 15.6.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'test/e2e/**'],
        },
      },
      {
        // End-to-end: Playwright drives the demo page, served by Vite, in headless Chromium.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // ORT Web loads its wasm files relative to its own module: keep it out of pre-bundling.
        // The tfjs packages are pre-bundled together up front: optimised one at a time, as test files
        // discover them, each bundle would hold its own copy of tfjs-core or tfjs-layers (and of their
        // registries, so that a layer class registered in one is unknown to the other).
        optimizeDeps: {
          exclude: ['onnxruntime-web', 'onnxruntime-web-oldest'],
          include: [
            '@tensorflow/tfjs-core',
            '@tensorflow/tfjs-core/dist/register_all_gradients',
            '@tensorflow/tfjs-layers',
            '@tensorflow/tfjs-backend-cpu',
            '@tensorflow/tfjs-backend-webgpu',
          ],
        },
        test: {
          name: 'browser',
          include: ['test/**/*.browser.test.ts'],
          // One file at a time: two pages of SwiftShader would share the same two cores.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: await chromiumLaunchOptions() }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
}));
