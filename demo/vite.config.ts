/**
 * Vite config for the demo page (`npm run demo`, `npm run build:demo`). Vite finds it because
 * `vite demo` makes demo/ the root.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The repository root: the page imports ../src/index.ts, which imports ../shaders/*.wgsl?raw. */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  // Relative asset URLs, so demo/dist works from any folder or sub-path of a static server.
  base: './',
  // Its own dependency cache, so the demo and the test runner's Vite do not keep invalidating one another's.
  cacheDir: '../node_modules/.vite-demo',
  server: {
    fs: { allow: [repoRoot] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
