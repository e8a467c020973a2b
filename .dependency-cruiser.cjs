/**
 * The layering, checked in CI (`npm run lint:imports`, part of `npm test`):
 * - the adapters and the check reach the core only through its entry points (`src/index.ts` is the
 *   package `argpool`, `src/low-level.ts` is `argpool/low-level`), as a user's code would;
 *   `argpool/tfjs-layers` builds on `argpool/tfjs` through that adapter's entry point;
 * - the demo and the benchmarks never import the tests;
 * - no import loops in src/.
 */
const ADAPTERS = '^src/(onnxruntime-web|tfjs|tfjs-layers|check)/';

module.exports = {
  forbidden: [
    {
      name: 'adapters-through-entry-points',
      comment: 'An adapter (or the check) imports the core only through src/index.ts and src/low-level.ts.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: '^src/[^/]+$', pathNot: '^src/(index|low-level)\\.ts$' },
    },
    {
      name: 'adapters-apart',
      comment: 'An adapter imports another adapter only through its entry point (tfjs-layers builds on tfjs).',
      severity: 'error',
      from: { path: '^src/(onnxruntime-web|tfjs|tfjs-layers|check)/' },
      to: { path: '^src/(onnxruntime-web|tfjs|tfjs-layers|check)/', pathNot: ['^src/$1/', '^src/tfjs/index\\.ts$'] },
    },
    {
      name: 'adapters-not-programs',
      comment: 'Programs and storage are the core: adapters reach them through the entry points.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: '^src/programs/' },
    },
    {
      name: 'demo-and-bench-not-tests',
      comment: 'The demo and the benchmarks never import the tests.',
      severity: 'error',
      from: { path: '^(demo|bench)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-loops-in-src',
      comment: 'No import loops in src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
