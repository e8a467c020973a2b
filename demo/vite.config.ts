/**
 * Vite config for the demo page (`npm run demo`, `npm run build:demo`). Vite finds it because
 * `vite demo` makes demo/ the root.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The repository root: the page imports ../src/index.ts (which imports ../shaders/*.wgsl?raw) and
 * ../models/segnet-shapes.onnx.
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  // Relative asset URLs, so demo/dist works from any folder or sub-path of a static server.
  base: './',
  // Its own dependency cache, so the demo and the test runner's Vite do not keep invalidating one another's.
  cacheDir: '../node_modules/.vite-demo',
  server: {
    fs: { allow: [repoRoot] },
  },
  // ONNX Runtime Web finds its .wasm file next to its own module (new URL(..., import.meta.url)):
  // pre-bundling would move the module away from it. The build emits the .wasm as an asset.
  // The protobuf runtime is pre-bundled up front, so the first visit does not make Vite reload the page.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['@bufbuild/protobuf', '@bufbuild/protobuf/codegenv2'] },
  // The model is fetched by URL (?url), never inlined.
  assetsInclude: ['**/*.onnx'],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The model (about 1 MB) and ORT's wasm (28 MB) are assets, not chunks; ORT's module is one large chunk.
    chunkSizeWarningLimit: 1024,
    assetsInlineLimit: (file) => (file.endsWith('.onnx') || file.endsWith('.wasm') ? false : undefined),
  },
});
