/**
 * The library build (`npm run build`): ES modules in dist/, one module per source file,
 * with every `shaders/*.wgsl?raw` import turned into a module that exports the WGSL text. Declarations
 * come from `tsc -p tsconfig.build.json`. Every bare import (the dependency @bufbuild/protobuf, the
 * peer frameworks, Node built-ins) stays an import: nothing from node_modules is copied into dist/.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { defineConfig } from 'vite';

export const ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  'low-level': 'src/low-level.ts',
  'check/index': 'src/check/index.ts',
  'onnxruntime-web/index': 'src/onnxruntime-web/index.ts',
  'tfjs/index': 'src/tfjs/index.ts',
  'tfjs-layers/index': 'src/tfjs-layers/index.ts',
};

/** A bare specifier (a package or a `node:` built-in), as opposed to a file of this repository. */
export function isBareImport(id: string): boolean {
  return !id.startsWith('.') && !id.startsWith('\0') && !isAbsolute(id);
}

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps: they would point at sources the tarball does not ship (and double its size).
    sourcemap: false,
    minify: false,
    target: 'es2022',
    lib: {
      entry: Object.fromEntries(Object.entries(ENTRIES).filter(([, file]) => existsSync(file))),
      formats: ['es'],
    },
    rollupOptions: {
      external: isBareImport,
      output: {
        preserveModules: true,
        preserveModulesRoot: 'src',
        entryFileNames: '[name].js',
      },
    },
  },
});
