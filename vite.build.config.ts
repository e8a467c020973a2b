/**
 * The library build (`npm run build`): ES modules with source maps in dist/, one module per source file,
 * with every `shaders/*.wgsl?raw` import turned into a module that exports the WGSL text. Declarations
 * come from `tsc -p tsconfig.build.json`. The peer frameworks stay external; anything else an adapter
 * imports (the ONNX protobuf reader) is inlined, so the package has no runtime dependencies.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from 'vite';

export const ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  'check/index': 'src/check/index.ts',
  'onnxruntime-web/index': 'src/onnxruntime-web/index.ts',
  'tfjs/index': 'src/tfjs/index.ts',
};

const PEERS = [/^onnxruntime-web(\/|$)/, /^onnxruntime-common(\/|$)/, /^@tensorflow\//, /^webgpu$/];

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: {
      entry: Object.fromEntries(Object.entries(ENTRIES).filter(([, file]) => existsSync(file))),
      formats: ['es'],
    },
    rollupOptions: {
      external: PEERS,
      output: {
        preserveModules: true,
        preserveModulesRoot: 'src',
        // npm leaves every folder named node_modules out of a tarball: inlined modules go to vendor/.
        entryFileNames: (chunk) => `${chunk.name.replace(/(^|\/)node_modules\//g, '$1vendor/')}.js`,
      },
    },
  },
});
