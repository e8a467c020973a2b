/** Random pooling configurations for property-based GPU-versus-CPU tests (fast-check arbitraries). */
import fc from 'fast-check';
import type { FillMode, IndexFormat, Layout, PoolOptions } from 'argpool';
import { VALUE_KINDS, type ValueKind } from './data';

export interface PoolCase {
  shape: number[];
  options: PoolOptions;
  kind: ValueKind;
  seed: number;
  /** How the pooled result is unpooled afterwards (default 'zero'). */
  fill?: FillMode;
}

const dimension = fc.record({
  kernel: fc.integer({ min: 1, max: 4 }),
  stride: fc.integer({ min: 1, max: 4 }),
  dilation: fc.integer({ min: 1, max: 3 }),
  padBegin: fc.integer({ min: 0, max: 2 }),
  padEnd: fc.integer({ min: 0, max: 2 }),
  extra: fc.integer({ min: 0, max: 9 }),
});

type PaddingForm = 'number' | 'per-dim' | 'begin-end' | 'same' | 'valid' | 'none';

export const poolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    rank: fc.constantFrom(1, 2, 3),
    dims: fc.array(dimension, { minLength: 3, maxLength: 3 }),
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 3 }),
    ceilMode: fc.boolean(),
    layout: fc.constantFrom<Layout>('NCHW', 'NHWC'),
    indexFormat: fc.constantFrom<IndexFormat>('spatial', 'flat', 'flat-no-batch'),
    padding: fc.constantFrom<PaddingForm>('number', 'per-dim', 'begin-end', 'same', 'valid', 'none'),
    kind: fc.constantFrom(...VALUE_KINDS),
    seed: fc.integer(),
    fill: fc.constantFrom<FillMode>('zero', 'zero', 'nearest', 'bilinear'),
  })
  .map(({ rank, dims, batch, channels, ceilMode, layout, indexFormat, padding, kind, seed, fill }) => {
    const used = dims.slice(0, rank).map((d) => {
      const half = Math.floor(d.kernel / 2);
      return { ...d, padBegin: Math.min(d.padBegin, half), padEnd: Math.min(d.padEnd, half) };
    });
    // Big enough for one window whatever the padding, and small in 3-D to keep the test quick.
    const spatial = used.map((d) => Math.max(1, d.dilation * (d.kernel - 1) + 1 + (rank === 3 ? d.extra % 4 : d.extra)));
    const kernelSize = used.map((d) => d.kernel);
    const options: PoolOptions = {
      kernelSize,
      stride: used.map((d) => d.stride),
      dilation: used.map((d) => d.dilation),
      ceilMode,
      layout,
      indexFormat,
    };
    if (padding === 'number') options.padding = Math.min(...used.map((d) => d.padBegin));
    if (padding === 'per-dim') options.padding = used.map((d) => d.padBegin);
    if (padding === 'begin-end') options.padding = [...used.map((d) => d.padBegin), ...used.map((d) => d.padEnd)];
    if (padding === 'same' || padding === 'valid') options.padding = padding;
    const shape = layout === 'NHWC' ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
    return { shape, options, kind, seed, fill };
  });
