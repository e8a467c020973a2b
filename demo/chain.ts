/**
 * The work the page does: `levels` max poolings, each on the previous level's values, then one
 * unpooling per level in reverse order with that level's indices (SegNet's decoder), once on the GPU
 * (timed with `ArgPool.measure`, one call per operation) and once with the CPU reference (timed with
 * performance.now()).
 */
import { cpu, type ArgPool, type FillMode, type PoolOptions, type Tensor, type UnpoolOptions } from '../src/index';
import { resolvePoolGeometry, resolveUnpoolGeometry, type PoolGeometry } from '../src/low-level';
import type { ImageTensor } from './images';

export interface Settings {
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  ceilMode: boolean;
  fill: FillMode;
  levels: number;
}

export interface LevelPlan {
  /** 1-based, as the page shows it. */
  level: number;
  geometry: PoolGeometry;
  /** Shape of this level's input [1, 3, h, w] and of its pooled values and indices. */
  inShape: number[];
  outShape: number[];
  /** How this level is unpooled: back to `inShape`. */
  unpool: UnpoolOptions;
}

export interface ChainPlan {
  /** PyTorch's per-plane indices (no indexFormat), so the pooled indices are int32. */
  pool: PoolOptions & { indexFormat?: 'spatial' };
  levels: LevelPlan[];
}

export interface OpTiming {
  label: string;
  /** "[1, 3, 144, 192] → [1, 3, 72, 96]" */
  shapes: string;
  ms: number;
}

export interface ChainResult {
  /** Per level, its pooled values and indices. */
  pooled: { values: Float32Array; indices: Int32Array }[];
  /** unpooled[l] is level l unpooled (shape levels[l].inShape); unpooled[0] is the reconstruction. */
  unpooled: Float32Array[];
  /** One entry per operation, in the order they ran. */
  timings: OpTiming[];
}

export interface GpuChainResult extends ChainResult {
  method: 'timestamp-query' | 'submit-to-done';
}

const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Resolves every level's geometry before any work runs, so a bad combination is reported as a
 * RangeError naming the level, with argpool's own message (op, argument, value).
 *
 * Unpooling takes no dilation, so each level is unpooled with the dilated window extent
 * dilation*(kernel - 1) + 1 as its kernel size. With dilation 1 that is the kernel itself; with more,
 * it keeps outputSize = the level's input size inside the range unpooling accepts, which the plain
 * kernel size would not.
 */
export function planChain(inputShape: readonly number[], settings: Settings): ChainPlan {
  const pool: PoolOptions & { indexFormat?: 'spatial' } = {
    kernelSize: settings.kernel,
    stride: settings.stride,
    padding: settings.padding,
    dilation: settings.dilation,
    ceilMode: settings.ceilMode,
  };
  const extent = settings.dilation * (settings.kernel - 1) + 1;
  const levels: LevelPlan[] = [];
  let inShape = Array.from(inputShape);
  for (let level = 1; level <= settings.levels; level++) {
    try {
      const geometry = resolvePoolGeometry('maxPool', inShape, pool, 2);
      const outShape = [geometry.batch, geometry.channels, ...geometry.outSpatial];
      const unpool: UnpoolOptions = {
        kernelSize: extent,
        stride: settings.stride,
        padding: settings.padding,
        outputSize: geometry.inSpatial,
        fill: settings.fill,
      };
      resolveUnpoolGeometry('maxUnpool', outShape, outShape, unpool, 2);
      levels.push({ level, geometry, inShape, outShape, unpool });
      inShape = outShape;
    } catch (error) {
      const where = settings.levels > 1 ? `Level ${level} of ${settings.levels} (input ${showShape(inShape)}): ` : '';
      throw new RangeError(where + (error instanceof Error ? error.message : String(error)));
    }
  }
  return { pool, levels };
}

/** Runs the chain on the GPU; every tensor it makes is destroyed before it returns. */
export async function runGpuChain(ap: ArgPool, input: ImageTensor, plan: ChainPlan): Promise<GpuChainResult> {
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T): T => {
    made.push(tensor);
    return tensor;
  };
  const timings: OpTiming[] = [];
  let method: GpuChainResult['method'] = 'submit-to-done';
  try {
    const x = keep(ap.tensor(input.data, input.shape));
    const pooled: { values: Tensor<'float32'>; indices: Tensor<'int32'> }[] = [];
    let current: Tensor<'float32'> = x;
    for (const level of plan.levels) {
      const source = current;
      const measured = await ap.measure(() => ap.maxPool2d(source, plan.pool));
      method = measured.method;
      keep(measured.result.values);
      keep(measured.result.indices);
      pooled.push(measured.result);
      timings.push({ label: `maxPool2d, level ${level.level}`, shapes: `${showShape(level.inShape)} → ${showShape(level.outShape)}`, ms: measured.gpuMs });
      current = measured.result.values;
    }
    const unpooled: Tensor<'float32'>[] = new Array(plan.levels.length);
    let upper: Tensor<'float32'> = current;
    for (let l = plan.levels.length - 1; l >= 0; l--) {
      const level = plan.levels[l];
      const values = upper;
      const measured = await ap.measure(() => ap.maxUnpool2d(values, pooled[l].indices, level.unpool));
      method = measured.method;
      unpooled[l] = keep(measured.result);
      timings.push({ label: `maxUnpool2d, level ${level.level}`, shapes: `${showShape(level.outShape)} → ${showShape(level.inShape)}`, ms: measured.gpuMs });
      upper = measured.result;
    }
    const pooledHost = await Promise.all(pooled.map(async (p) => ({ values: await p.values.read(), indices: await p.indices.read() })));
    const unpooledHost = await Promise.all(unpooled.map((t) => t.read()));
    return { pooled: pooledHost, unpooled: unpooledHost, timings, method };
  } finally {
    // Once the device is lost, destroying is pointless and may throw; ArgPool.lost says so.
    if (!ap.lost) for (const tensor of made) tensor.destroy();
  }
}

/** Runs the same chain with the CPU reference, timing each operation with performance.now(). */
export function runCpuChain(input: ImageTensor, plan: ChainPlan): ChainResult {
  const timings: OpTiming[] = [];
  const pooled: ChainResult['pooled'] = [];
  let current: Float32Array = input.data;
  for (const level of plan.levels) {
    const start = performance.now();
    const result = cpu.maxPool2d({ data: current, shape: level.inShape }, plan.pool);
    timings.push({ label: `maxPool2d, level ${level.level}`, shapes: `${showShape(level.inShape)} → ${showShape(level.outShape)}`, ms: performance.now() - start });
    pooled.push({ values: result.values.data, indices: result.indices.data });
    current = result.values.data;
  }
  const unpooled: Float32Array[] = new Array(plan.levels.length);
  for (let l = plan.levels.length - 1; l >= 0; l--) {
    const level = plan.levels[l];
    const start = performance.now();
    const result = cpu.maxUnpool2d({ data: current, shape: level.outShape }, { data: pooled[l].indices, shape: level.outShape }, level.unpool);
    timings.push({ label: `maxUnpool2d, level ${level.level}`, shapes: `${showShape(level.outShape)} → ${showShape(level.inShape)}`, ms: performance.now() - start });
    unpooled[l] = result.data;
    current = result.data;
  }
  return { pooled, unpooled, timings };
}
