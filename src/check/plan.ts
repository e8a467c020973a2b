/**
 * The conformance plan of `argpool check` and of the demo's "Check this GPU" view, as data: each case
 * is one pooling configuration, one kind of values and the contexts it runs on. Running a case
 * (src/check/run.ts) pools on the GPU and on the CPU reference, then unpools and takes both
 * gradients from the results, and compares every output: one check per output and context.
 *
 * Contexts: 'primary' (the launch profile chosen for this adapter, or the one `--profile` names, on
 * the specialised kernels; float16 stored natively where the adapter has 'shader-f16'),
 * 'other-profile' (the other launch profile), 'general' (the primary profile with
 * `specialisedKernels: false`) and 'float16-packed' (the primary profile with float16 forced into
 * packed words; float16 cases only, and run only where 'primary' stores float16 natively).
 */
import type { FillMode, IndexFormat, Layout, PoolOptions } from '../index.js';
import { joinShape } from '../low-level.js';
import { rng, VALUE_KINDS, type ValueKind } from './values.js';

export type ContextName = 'primary' | 'other-profile' | 'general' | 'float16-packed';
export const CONTEXT_NAMES: readonly ContextName[] = ['primary', 'other-profile', 'general', 'float16-packed'];

export interface CheckCase {
  /** Unique and stable: `group/what`. */
  id: string;
  group: string;
  shape: number[];
  pool: PoolOptions;
  kind: ValueKind;
  seed: number;
  /** float16 tensors (values, gradients and results two bytes each, compared as float16 bits); default float32. */
  dtype?: 'float16';
  /** How the pooled result is unpooled (default 'zero'). */
  fill?: FillMode;
  contexts: ContextName[];
  /** Why the case is there, where the id does not say it. */
  note?: string;
  /** A tensor of the case needs more than 128 MiB in one binding: left out in quick mode and where the device's limits are lower. */
  large?: boolean;
}

export interface PlanOptions {
  /** Leave out the cases over 128 MiB and half of the random configurations. */
  quick?: boolean;
}

/** Bytes above which a binding is "large" (the default maxStorageBufferBindingSize of WebGPU). */
export const LARGE_BINDING_BYTES = 128 * 2 ** 20;

const ALL: ContextName[] = ['primary', 'other-profile', 'general'];
const PRIMARY: ContextName[] = ['primary'];

/** Every index format with both layouts in 1-D, 2-D and 3-D, on ties (where the first maximum must win). */
function formatCases(): CheckCase[] {
  const geometries: Record<1 | 2 | 3, { spatial: number[]; pool: PoolOptions }> = {
    1: { spatial: [21], pool: { kernelSize: 3, stride: 2, padding: 1 } },
    2: { spatial: [8, 10], pool: { kernelSize: 2, stride: 2 } },
    3: { spatial: [4, 6, 7], pool: { kernelSize: [1, 2, 2], stride: [1, 2, 2], ceilMode: true } },
  };
  const cases: CheckCase[] = [];
  let seed = 100;
  for (const rank of [1, 2, 3] as const) {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const indexFormat of ['spatial', 'flat', 'flat-no-batch', 'window'] as const) {
        const { spatial, pool } = geometries[rank];
        cases.push({
          id: `formats/${rank}d-${layout}-${indexFormat}`,
          group: 'index formats, layouts, ranks',
          shape: joinShape(2, 3, spatial, layout),
          pool: { ...pool, layout, indexFormat },
          kind: 'ties',
          seed: seed++,
          contexts: rank === 2 || indexFormat === 'window' ? ALL : PRIMARY,
        });
      }
    }
  }
  return cases;
}

/** Ceil mode, dilation, every padding form, strides other than the kernel, fills. */
function geometryCases(): CheckCase[] {
  const list: [string, number[], PoolOptions, FillMode?][] = [
    ['ceil-2d', [1, 2, 9, 11], { kernelSize: 2, stride: 2, ceilMode: true }],
    ['ceil-2d-padded', [1, 2, 10, 9], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    ['ceil-1d', [2, 2, 14], { kernelSize: 4, stride: 3, ceilMode: true }],
    ['ceil-3d', [1, 2, 5, 5, 7], { kernelSize: 2, stride: 2, ceilMode: true }],
    ['dilation-2d', [1, 2, 12, 13], { kernelSize: 3, stride: 1, dilation: 2 }],
    ['dilation-2d-padded', [1, 2, 11, 12], { kernelSize: 2, stride: 2, dilation: 3, padding: 1 }],
    ['dilation-1d', [1, 3, 19], { kernelSize: 3, stride: 2, dilation: 2, ceilMode: true }],
    ['dilation-3d', [1, 1, 6, 7, 7], { kernelSize: [2, 2, 3], stride: 1, dilation: [1, 2, 2] }],
    ['padding-number', [1, 2, 9, 9], { kernelSize: 3, stride: 2, padding: 1 }],
    ['padding-per-dim', [1, 2, 9, 8], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] }],
    ['padding-begin-end', [1, 2, 9, 8], { kernelSize: 2, stride: 2, padding: [0, 1, 1, 0] }],
    ['padding-same', [1, 2, 9, 11], { kernelSize: 3, stride: 2, padding: 'same' }],
    ['padding-same-even-kernel', [1, 2, 7, 9], { kernelSize: 2, stride: 2, padding: 'same' }],
    ['padding-valid', [1, 2, 9, 11], { kernelSize: 3, stride: 2, padding: 'valid' }],
    ['padding-begin-end-1d', [2, 2, 15], { kernelSize: 3, stride: 2, padding: [1, 0] }],
    ['padding-same-3d', [1, 2, 5, 6, 7], { kernelSize: 3, stride: 2, padding: 'same' }],
    ['padding-same-NHWC', [1, 9, 11, 3], { kernelSize: 3, stride: 2, padding: 'same', layout: 'NHWC' }],
    ['stride-over-kernel', [1, 2, 11, 11], { kernelSize: 2, stride: 3 }],
    ['kernel-1-stride-2', [1, 2, 9, 10], { kernelSize: 1, stride: 2 }],
    ['global-window', [2, 3, 7, 7], { kernelSize: 7 }],
    ['global-window-large', [2, 4, 24, 24], { kernelSize: 24 }],
    ['global-window-NHWC', [1, 30, 40, 5], { kernelSize: [30, 40], layout: 'NHWC' }],
    ['rectangular', [1, 2, 10, 12], { kernelSize: [2, 3], stride: [1, 2] }],
    ['overlap-3x3-2', [1, 4, 16, 17], { kernelSize: 3, stride: 2, padding: 1 }],
    ['overlap-NHWC-dilated-ceil', [1, 13, 12, 3], { kernelSize: 3, stride: 2, dilation: 2, ceilMode: true, layout: 'NHWC' }],
    ['fill-nearest-2d', [1, 3, 10, 12], { kernelSize: 2, stride: 2 }, 'nearest'],
    ['fill-bilinear-2d', [1, 3, 10, 12], { kernelSize: 3, stride: 2, padding: 1 }, 'bilinear'],
    ['fill-bilinear-1d', [2, 2, 17], { kernelSize: 2, stride: 2 }, 'bilinear'],
    ['fill-nearest-3d-NHWC', [1, 4, 6, 6, 2], { kernelSize: 2, layout: 'NHWC' }, 'nearest'],
    // Refused before any GPU work, in the reference's words.
    ['refused-padding-over-half', [1, 2, 8, 8], { kernelSize: 2, padding: 2 }],
    ['refused-window-past-input', [1, 1, 3, 3], { kernelSize: 3, dilation: 2 }],
  ];
  return list.map(([what, shape, pool, fill], i) => ({
    id: `geometry/${what}`,
    group: 'ceil mode, dilation, padding forms, fills',
    shape,
    pool,
    kind: VALUE_KINDS[i % 2 === 0 ? 0 : 1],
    seed: 200 + i,
    fill,
    contexts: i % 3 === 0 ? ALL : PRIMARY,
  }));
}

/** Ties, NaN, infinities, windows of -inf, subnormals and signed zeros in four geometries. */
function specialValueCases(): CheckCase[] {
  const geometries: [string, Layout, number[], PoolOptions][] = [
    ['2d-tiled', 'NCHW', [9, 12], { kernelSize: 2, stride: 2 }],
    ['2d-overlap-NHWC', 'NHWC', [9, 12], { kernelSize: 3, stride: 2, padding: 1 }],
    ['1d-stride-1', 'NCHW', [30], { kernelSize: 3, stride: 1, padding: 1 }],
    ['3d-window', 'NCHW', [4, 6, 6], { kernelSize: 2, indexFormat: 'window' }],
  ];
  const cases: CheckCase[] = [];
  let seed = 300;
  for (const kind of ['ties', 'nan', 'inf', 'all-neg-inf', 'special'] as const) {
    for (const [what, layout, spatial, pool] of geometries) {
      cases.push({
        id: `values/${kind}-${what}`,
        group: 'special values (NaN, ±inf, ±0, subnormals, ties)',
        shape: joinShape(2, 3, spatial, layout),
        pool: { ...pool, layout },
        kind,
        seed: seed++,
        contexts: what === '2d-tiled' || what === '3d-window' ? ALL : PRIMARY,
      });
    }
  }
  return cases;
}

/**
 * float16 on every kernel family that takes it: the tiled kernels (2-D, 1-D column runs, 3-D), the
 * 3x3/2 overlap kernel (even output width; an odd one, in ceil mode, takes the general kernel),
 * channels-last with channels in fours (tiling and overlapping) and in threes (the general kernel and
 * the scatter), 'window' taps; on the value kinds whose bits decide (float16 subnormals, signed zeros,
 * NaN payloads, ties, infinities).
 */
function float16Cases(): CheckCase[] {
  const list: [string, number[], PoolOptions][] = [
    ['tiled-2d', [2, 3, 8, 16], { kernelSize: 2 }],
    ['tiled-1d', [2, 3, 296], { kernelSize: 2 }],
    ['tiled-3d', [1, 2, 4, 6, 8], { kernelSize: 2 }],
    ['overlap-3x3-2', [2, 3, 9, 16], { kernelSize: 3, stride: 2, padding: 1 }],
    ['overlap-odd-width', [1, 2, 6, 4], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    ['NHWC-tiled', [2, 6, 8, 8], { kernelSize: 2, layout: 'NHWC' }],
    ['NHWC-overlap', [1, 7, 9, 4], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }],
    ['NHWC-3-channels', [2, 5, 6, 3], { kernelSize: 2, layout: 'NHWC' }],
    ['window-overlap', [1, 2, 9, 8], { kernelSize: 3, stride: 2, padding: 1, indexFormat: 'window' }],
    ['window-tiled-NHWC', [1, 4, 8, 8], { kernelSize: 2, layout: 'NHWC', indexFormat: 'window' }],
  ];
  const kinds: ValueKind[] = ['special', 'nan', 'ties', 'inf'];
  return list.map(([what, shape, pool], i) => ({
    id: `float16/${what}`,
    group: 'float16',
    shape,
    pool,
    kind: kinds[i % kinds.length],
    seed: 600 + i,
    dtype: 'float16' as const,
    contexts: ['primary', 'general', 'float16-packed'] as ContextName[],
  }));
}

/**
 * The other engines' NaN rules ('ignore', TensorFlow.js; 'first', TensorFlow's and ONNX Runtime's CPU
 * kernels; 'propagate', the default, runs everywhere else) on every pooling kernel family, on NaN
 * values, float32 and float16 in turn.
 */
function nanRuleCases(): CheckCase[] {
  const families: [string, number[], PoolOptions][] = [
    ['tiled-2d', [2, 3, 8, 16], { kernelSize: 2 }],
    ['tiled-1d', [2, 3, 296], { kernelSize: 2 }],
    ['tiled-3d', [1, 2, 4, 6, 8], { kernelSize: 2 }],
    ['overlap-3x3-2', [2, 3, 9, 16], { kernelSize: 3, stride: 2, padding: 1 }],
    ['NHWC-tiled', [2, 6, 8, 8], { kernelSize: 2, layout: 'NHWC' }],
    ['NHWC-overlap', [1, 7, 9, 4], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }],
    ['global', [2, 3, 16, 16], { kernelSize: 16 }],
    ['general', [2, 3, 7, 9], { kernelSize: 3, stride: 2, padding: 1 }],
  ];
  const cases: CheckCase[] = [];
  let i = 0;
  for (const [f, [what, shape, pool]] of families.entries()) {
    for (const [r, nan] of (['ignore', 'first'] as const).entries()) {
      // Each rule runs on float32 in half of the families and on float16 in the other half.
      const half = (f + r) % 2 === 1;
      cases.push({
        id: `nan-rules/${nan}-${what}${half ? '-float16' : ''}`,
        group: 'NaN rules of other engines',
        shape,
        pool: { ...pool, nan },
        kind: 'nan',
        seed: 700 + i,
        ...(half ? { dtype: 'float16' as const } : {}),
        contexts: half ? ['primary', 'general', 'float16-packed'] : ALL,
      });
      i++;
    }
  }
  return cases;
}

/** A random pooling configuration: the input's shape, the options, the kind of values and the unpooling fill. */
export interface RandomConfiguration {
  shape: number[];
  pool: PoolOptions;
  kind: ValueKind;
  fill: FillMode;
}

const ALL_FORMATS: readonly IndexFormat[] = ['spatial', 'flat', 'flat-no-batch', 'window'];

/**
 * A random pooling configuration drawn with `next` (uniform in [0, 1)): rank 1 to 3, either layout,
 * kernel 1-4, stride 1-4, dilation 1-3, padding up to half the kernel in every form (a number, one per
 * dimension, [begin..., end...], 'same', 'valid', none), ceil mode or not, batch 1-2, channels 1-3, an
 * input large enough for one window, one of `formats`. The check's random cases and the tests' random
 * configurations both come from here.
 */
export function randomConfiguration(next: () => number, formats: readonly IndexFormat[] = ALL_FORMATS): RandomConfiguration {
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const rank = int(1, 3);
  const dims = Array.from({ length: rank }, () => {
    const kernel = int(1, 4);
    const half = Math.floor(kernel / 2);
    return { kernel, stride: int(1, 4), dilation: int(1, 3), padBegin: int(0, half), padEnd: int(0, half), extra: int(0, rank === 3 ? 3 : 9) };
  });
  const layout = pick(['NCHW', 'NHWC'] as const);
  const pool: PoolOptions = {
    kernelSize: dims.map((d) => d.kernel),
    stride: dims.map((d) => d.stride),
    dilation: dims.map((d) => d.dilation),
    ceilMode: next() < 0.5,
    layout,
    indexFormat: pick(formats),
  };
  const padding = pick(['number', 'per-dim', 'begin-end', 'same', 'valid', 'none'] as const);
  if (padding === 'number') pool.padding = Math.min(...dims.map((d) => d.padBegin));
  if (padding === 'per-dim') pool.padding = dims.map((d) => d.padBegin);
  if (padding === 'begin-end') pool.padding = [...dims.map((d) => d.padBegin), ...dims.map((d) => d.padEnd)];
  if (padding === 'same' || padding === 'valid') pool.padding = padding;
  const spatial = dims.map((d) => d.dilation * (d.kernel - 1) + 1 + d.extra);
  const shape = joinShape(int(1, 2), int(1, 3), spatial, layout);
  return { shape, pool, kind: pick(VALUE_KINDS), fill: pick(['zero', 'zero', 'nearest', 'bilinear'] as const) };
}

/** Random configurations, drawn from a fixed seed (the same on every run). */
function randomCases(count: number): CheckCase[] {
  const next = rng(0x5eed);
  return Array.from({ length: count }, (_, i) => ({
    id: `random/${String(i).padStart(2, '0')}`,
    group: 'random configurations',
    ...randomConfiguration(next),
    seed: 400 + i,
    contexts: i % 4 === 0 ? ALL : PRIMARY,
  }));
}

/** Sizes that change the launch: several rows per invocation, folded dispatch grids, bindings over 128 MiB. */
function sizeCases(quick: boolean): CheckCase[] {
  /** Rows per invocation are a matter of the launch profiles; quick mode leaves the general kernels to the smaller cases. */
  const profiles: ContextName[] = quick ? ['primary', 'other-profile'] : ALL;
  const cases: CheckCase[] = [
    {
      id: 'size/rows-per-invocation',
      group: 'large tensors and folded grids',
      shape: [1, 8, 200, 1024],
      pool: { kernelSize: 2 },
      kind: 'ties',
      seed: 500,
      contexts: profiles,
      note: 'enough rows for several output rows per invocation in both launch profiles',
    },
    {
      id: 'size/overlap-rows-NCHW',
      group: 'large tensors and folded grids',
      shape: [1, 32, 100, 130],
      pool: { kernelSize: 3, stride: 2, padding: 1 },
      kind: 'ties',
      seed: 501,
      contexts: profiles,
    },
    {
      id: 'size/overlap-rows-NHWC',
      group: 'large tensors and folded grids',
      shape: [1, 102, 130, 32],
      pool: { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' },
      kind: 'special',
      seed: 502,
      contexts: profiles,
    },
    {
      id: 'size/folded-grid',
      group: 'large tensors and folded grids',
      shape: [1, 1, 2049, 2049],
      pool: { kernelSize: 2, stride: 1 },
      kind: 'random',
      seed: 503,
      contexts: quick ? ['general'] : ['primary', 'general'],
      note: '4,194,304 outputs: the general kernels (one output per invocation, 64 per workgroup) need 65,536 workgroups, one more than a dimension allows, so the grid is folded',
    },
  ];
  if (!quick) {
    cases.push({
      id: 'size/over-128MiB',
      group: 'large tensors and folded grids',
      shape: [1, 1, 6144, 6144],
      pool: { kernelSize: 2, stride: 2 },
      kind: 'random',
      seed: 504,
      contexts: PRIMARY,
      large: true,
      note: 'input, unpooled output and input gradient of 151 MB each: bindings over 128 MiB',
    });
  }
  return cases;
}

/** The whole plan, in the order it runs. */
export function conformancePlan(options: PlanOptions = {}): CheckCase[] {
  const quick = options.quick ?? false;
  return [...formatCases(), ...geometryCases(), ...specialValueCases(), ...float16Cases(), ...nanRuleCases(), ...randomCases(quick ? 20 : 40), ...sizeCases(quick)];
}

/** The largest tensor of a case in bytes (its input: pooling never grows a tensor, unpooling restores the input's size). */
export function largestTensorBytes(c: CheckCase): number {
  return c.shape.reduce((a, b) => a * b, 1) * (c.dtype === 'float16' ? 2 : 4);
}
