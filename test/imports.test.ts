/**
 * The layering (.dependency-cruiser.cjs): the adapters and the check reach the core only through its
 * entry points, the demo and the benchmarks never import the tests, and src/ has no import loops.
 * A violation fails with the rule and the import that breaks it.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cruise, type IConfiguration } from 'dependency-cruiser';

describe('the import rule', () => {
  it('holds over src/, demo/, bench/, scripts/ and bin/', async () => {
    const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;
    const result = await cruise(['src', 'demo', 'bench', 'scripts', 'bin'], { ruleSet: config, ...config.options, validate: true });
    const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number } };
    expect(output.summary.totalCruised).toBeGreaterThan(100);
    expect(output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 60_000);
});
