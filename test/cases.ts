/**
 * Random pooling configurations for property-based GPU-versus-CPU tests: fast-check draws a seed, and
 * the conformance plan's generator (src/check/plan.ts) turns it into a configuration, so the tests and
 * `npx argpool check` draw from one distribution. 'window' indices (uint8) have tests of their own.
 */
import fc from 'fast-check';
import type { FillMode, PoolOptions } from 'argpool';
import { randomConfiguration } from '../src/check/plan';
import { rng, type ValueKind } from './data';

export interface PoolCase {
  shape: number[];
  options: PoolOptions;
  kind: ValueKind;
  seed: number;
  /** How the pooled result is unpooled afterwards (default 'zero'). */
  fill?: FillMode;
}

export const poolCase: fc.Arbitrary<PoolCase> = fc.integer().map((seed) => {
  const { shape, pool, kind, fill } = randomConfiguration(rng(seed), ['spatial', 'flat', 'flat-no-batch']);
  return { shape, options: pool, kind, seed, fill };
});
