/**
 * The library build (`npm run build`): ES modules in dist/, one module per source file,
 * with every `shaders/*.wgsl?raw` import turned into a module that exports the WGSL text. Declarations
 * come from `tsc -p tsconfig.build.json`. Every bare import (the dependency @bufbuild/protobuf, the
 * peer frameworks, Node built-ins) stays an import: nothing from node_modules is copied into dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

export const ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  'low-level': 'src/low-level.ts',
  'check/index': 'src/check/index.ts',
  'model/index': 'src/model/index.ts',
  'onnxruntime-web/index': 'src/onnxruntime-web/index.ts',
  'tfjs/index': 'src/tfjs/index.ts',
  'tfjs-layers/index': 'src/tfjs-layers/index.ts',
};

/** A bare specifier (a package or a `node:` built-in), as opposed to a file of this repository. */
export function isBareImport(id: string): boolean {
  return !id.startsWith('.') && !id.startsWith('\0') && !isAbsolute(id);
}

/**
 * Drops each shader's leading comment block (its documentation: layout, index convention, tie and
 * NaN rules, which stay in shaders/ in the repository) from the text the package ships, a third of
 * the shaders' bytes. Comments after the first line of code are kept.
 */
export function stripShaderHeader(text: string): string {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && (lines[first].trim() === '' || lines[first].startsWith('//'))) first++;
  return lines.slice(first).join('\n');
}

function shippedShaders(): Plugin {
  return {
    name: 'argpool:shipped-shaders',
    enforce: 'pre',
    load(id) {
      const match = /^(.*\.wgsl)\?raw$/.exec(id);
      if (!match) return null;
      return `export default ${JSON.stringify(stripShaderHeader(readFileSync(match[1], 'utf8')))};`;
    },
  };
}

export default defineConfig({
  plugins: [shippedShaders()],
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
        // The declarations carry the documentation; the modules keep only legal and annotation comments.
        comments: { legal: true, annotation: true, jsdoc: false },
      },
    },
  },
});
