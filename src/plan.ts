/**
 * Planning: each operation becomes a plan, plain data that says everything the GPU will be asked to do
 * (ONNX Runtime Web's ProgramInfo is the model): the buffers it reads and writes with their sizes, the
 * scratch buffers it needs with their packed uniforms, the buffers to clear, and its programs (shader
 * file, override constants, pipeline cache key, bindings by role, a dispatch already folded to the
 * device's limits). Every decision and every check happens here, so a plan that comes back can be
 * recorded without failing (src/encode.ts), and node tests can inspect plans without a GPU.
 */
import { dispatchGrid } from './dispatch.js';
import { LAUNCH_PROFILES, rowsPerInvocation, type LaunchProfile } from './launch.js';
import { product, show, type NanRule, type PoolGeometry, type UnpoolGeometry } from './options.js';
import { packPoolParams, packUnpoolParams, toDHW } from './params.js';
import { FLOAT16_SHADERS, VECTOR_FLOAT_SHADERS, floatBindings, type FloatStorage } from './shaders.js';
import { BufferUsage } from './webgpu_constants.js';

/** Invocations per workgroup of the kernels that take one invocation per element of a flat count. */
export const WORKGROUP_SIZE = 64;

/** Bytes of the fault status an unpooling (or any index-reading) kernel writes: two u32 words. */
export const STATUS_BYTES = 8;

export type ShaderName =
  | 'index_fault.wgsl'
  | 'max_pool.wgsl'
  | 'max_pool_backward_check.wgsl'
  | 'max_pool_channels_last.wgsl'
  | 'max_pool_tiled.wgsl'
  | 'max_pool_overlap_tiled.wgsl'
  | 'max_unpool_backward.wgsl'
  | 'max_unpool_channels_last.wgsl'
  | 'max_unpool_claim.wgsl'
  | 'max_unpool_overlap_tiled.wgsl'
  | 'max_unpool_tiled.wgsl'
  | 'max_unpool_write.wgsl'
  | 'window_gather.wgsl'
  | 'window_scatter.wgsl'
  | 'window_indices_pack.wgsl'
  | 'window_indices_unpack.wgsl';

/** The kernels of the adapters: their plans carry their WGSL (`ProgramPlan.code`). */
export type AdapterShaderName = 'onnx_indices_widen.wgsl' | 'onnx_indices_narrow.wgsl';

/** The device limits a plan respects. */
export interface PlanLimits {
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export function limitsOf(device: GPUDevice): PlanLimits {
  const { maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize, maxBufferSize } = device.limits;
  return { maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize, maxBufferSize };
}

export interface PlanContext {
  limits: PlanLimits;
  /** Rows per invocation and workgroup counts (see src/launch.ts); default 'emulated'. */
  launch?: LaunchProfile;
  /** false: general kernels only. Default true. */
  specialised?: boolean;
  /** For operations that read indices: the pooling that produced them (see RecordOptions.pooledBy). */
  pooledBy?: PoolGeometry;
  /** How the operation's float tensors (values, gradients) are stored; default 'float32'. */
  float?: FloatStorage;
}

/** Bytes of `count` float elements: 4 each for float32; 2 each for float16, in whole 32-bit words. */
export function floatBytes(storage: FloatStorage | undefined, count: number): number {
  return !storage || storage === 'float32' ? count * 4 : Math.ceil(count / 2) * 4;
}

/** Whether the float tensors are float16 (either storage). */
function halfFloats(context: PlanContext): boolean {
  return (context.float ?? 'float32') !== 'float32';
}

/**
 * The plan with its float storage applied: programs whose kernel moves float data get `float` and a
 * cache key that holds it; for 'float16-packed', whose stores are atomicOr into zero words, the buffer
 * each such program writes floats to is cleared first (unless the plan clears it already). The vector
 * kernels store whole words and need no clear.
 */
function withFloatStorage(plan: OperationPlan, storage: FloatStorage | undefined): OperationPlan {
  if (!storage || storage === 'float32') return plan;
  const clears = [...plan.clears];
  const bytes = new Map<string, number>([...plan.needs, ...plan.scratch].map((b) => [b.role, b.bytes]));
  const programs = plan.programs.map((p) => {
    const shader = p.shader as ShaderName;
    if (!FLOAT16_SHADERS.has(shader) && !VECTOR_FLOAT_SHADERS.has(shader)) return p;
    if (storage === 'float16-packed' && FLOAT16_SHADERS.has(shader)) {
      const role = p.bindings[floatBindings(shader)!.write];
      if (!clears.some((c) => c.role === role)) clears.push({ role, bytes: bytes.get(role)! });
    }
    return { ...p, float: storage, cacheKey: cacheKeyOf(p.shader, p.constants, storage) };
  });
  return { ...plan, clears, programs };
}

/** A buffer the caller provides (a tensor): at least `bytes` long, with STORAGE usage. */
export interface BufferNeed {
  role: string;
  bytes: number;
}

/** A buffer the operation allocates for itself; `uniform` holds the words written into it. */
export interface ScratchPlan {
  role: string;
  label: string;
  bytes: number;
  usage: number;
  uniform?: Uint32Array<ArrayBuffer>;
}

/** One dispatch: a pipeline (shader + constants), its bindings 0, 1, 2, ... by role, and its grid. */
export interface ProgramPlan {
  label: string;
  shader: ShaderName | AdapterShaderName;
  /** The WGSL of an adapter's kernel (core kernels come from SHADER_CODE by file name). */
  code?: string;
  constants: Record<string, number>;
  /** Holds exactly what changes the compiled pipeline: the shader, its float storage and its override constants. */
  cacheKey: string;
  /** How the shader stores float data (src/shaders.ts); absent: float32. */
  float?: FloatStorage;
  bindings: string[];
  grid: [number, number, number];
}

export interface OperationPlan {
  op: string;
  needs: BufferNeed[];
  scratch: ScratchPlan[];
  /** Zero-filled (clearBuffer) before the pass. */
  clears: { role: string; bytes: number }[];
  /** Recorded in one compute pass, in order. */
  programs: ProgramPlan[];
}

export function cacheKeyOf(shader: ShaderName | AdapterShaderName, constants: Record<string, number>, float?: FloatStorage): string {
  const storage = float && float !== 'float32' ? `|${float}` : '';
  return `${shader}${storage}|${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
}

function program(label: string, shader: ShaderName, constants: Record<string, number>, bindings: string[], grid: [number, number, number]): ProgramPlan {
  return { label, shader, constants, cacheKey: cacheKeyOf(shader, constants), bindings, grid };
}

/** A kernel with one invocation per item of a flat count, folded into a 1-, 2- or 3-D grid. */
function flatProgram(op: string, label: string, shader: ShaderName, bindings: string[], invocations: number, limits: PlanLimits): ProgramPlan {
  const grid = dispatchGrid(invocations, WORKGROUP_SIZE, limits.maxComputeWorkgroupsPerDimension, op);
  return program(label, shader, { WORKGROUP_SIZE }, bindings, grid);
}

/**
 * Copies the first bad element's index next to its position in the status (index_fault.wgsl);
 * `packed`: the indices are 'window' taps, one byte each.
 */
function faultProgram(op: string, packed = false): ProgramPlan {
  return program(`${op} fault`, 'index_fault.wgsl', packed ? { PACKED_BYTES: 1 } : {}, ['indices', 'status'], [1, 1, 1]);
}

/**
 * Bytes of `count` 'window' indices: one each, packed four to a 32-bit word, in whole 16-byte blocks
 * (the tiled kernels read them as vec4s of words).
 */
export function windowIndexBytes(count: number): number {
  return Math.ceil(count / 16) * 16;
}

/** The same geometry with 'spatial' indices: what the kernels see once 'window' taps are converted. */
function asSpatial<G extends PoolGeometry | UnpoolGeometry>(g: G): G {
  return g.indexFormat === 'window' ? { ...g, indexFormat: 'spatial' } : g;
}

/**
 * The pooling windows that an unpooling's 'window' taps number: the pooled size is the unpooling's
 * input, the pooling input its output.
 */
function unpoolWindows(g: UnpoolGeometry): PoolGeometry {
  return {
    op: g.op, rank: g.rank, layout: g.layout, indexFormat: 'spatial', batch: g.batch, channels: g.channels,
    inSpatial: g.outSpatial, outSpatial: g.inSpatial, kernel: g.kernel, stride: g.stride,
    padBegin: g.padBegin, padEnd: g.padEnd, dilation: g.dilation, ceilMode: false, nan: 'propagate',
  };
}

/**
 * Whether 'window' taps from pooling `source` are read with the same windows: then they lie inside
 * their own windows, and the single-pass gathers apply.
 */
function sameWindows(windows: PoolGeometry, source: PoolGeometry | undefined): boolean {
  return (
    source !== undefined &&
    source.indexFormat === 'window' &&
    (['kernel', 'stride', 'padBegin', 'dilation'] as const).every((key) => sameList(windows[key], source[key]))
  );
}

/**
 * Runs a plan of an index-reading operation on 'window' taps: first window_indices_unpack.wgsl turns
 * the taps into spatial indices (scratch), faulting on bad taps; then the spatial plan's programs read
 * those; its fault program reports the tap itself.
 */
function readingWindowTaps(plan: OperationPlan, windows: PoolGeometry, pooledCount: number, limits: PlanLimits): OperationPlan {
  const op = plan.op;
  const needs = plan.needs.map((need) => (need.role === 'indices' ? { role: 'indices', bytes: windowIndexBytes(pooledCount) } : need));
  if (plan.programs.length === 1 && ['window_scatter.wgsl', 'max_unpool_tiled.wgsl', 'max_unpool_channels_last.wgsl', 'max_unpool_overlap_tiled.wgsl'].includes(plan.programs[0].shader)) {
    // Taps from this very pooling: the scatter and the tiled kernels read them as they are, and none can be invalid.
    const scatter = plan.programs[0];
    const constants = { ...scatter.constants, WINDOW_TAPS: 1 };
    return finishPlan({ ...plan, needs, programs: [{ ...scatter, constants, cacheKey: cacheKeyOf(scatter.shader, constants) }] }, limits);
  }
  const unpack = flatProgram(
    op, `${op} window indices`, 'window_indices_unpack.wgsl',
    ['windowParams', 'indices', 'spatialIndices', 'status'], Math.ceil(pooledCount / 4), limits,
  );
  const programs = plan.programs
    .filter((p) => p.shader !== 'index_fault.wgsl')
    .map((p) => ({ ...p, bindings: p.bindings.map((role) => (role === 'indices' ? 'spatialIndices' : role)) }));
  return finishPlan(
    {
      op,
      needs,
      scratch: [
        ...plan.scratch,
        { ...paramsScratch(op, packPoolParams(windows)), role: 'windowParams', label: `${op} window params` },
        { role: 'spatialIndices', label: `${op} spatial indices`, bytes: pooledCount * 4, usage: BufferUsage.STORAGE },
      ],
      clears: plan.clears,
      programs: [unpack, ...programs, faultProgram(op, true)],
    },
    limits,
  );
}

/** Workgroup width (a power of two up to 64) for `count` items along x; the rest of 64 goes to y. */
function workgroupShape(count: number): { WORKGROUP_X: number; WORKGROUP_Y: number } {
  const x = Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, count))));
  return { WORKGROUP_X: x, WORKGROUP_Y: 64 / x };
}

/** Elements of a [batch, channels, ...spatial] tensor. */
function elements(g: { batch: number; channels: number }, spatial: readonly number[]): number {
  return g.batch * g.channels * product(spatial);
}

/**
 * How max_pool_channels_last.wgsl covers a pooling: channels-last with a channel count that is a
 * multiple of 4 (four channels per invocation), any window geometry. Null when it does not apply or
 * its grid would not fit (the general kernel then runs, on a folded grid).
 */
export function channelsLastPlan(
  g: PoolGeometry,
  maxPerDimension: number,
): { grid: [number, number, number]; constants: { WORKGROUP_X: number; WORKGROUP_Y: number } } | null {
  if (g.layout !== 'NHWC' || g.channels % 4 !== 0) return null;
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const constants = workgroupShape(g.channels / 4);
  const grid: [number, number, number] = [
    Math.ceil(g.channels / 4 / constants.WORKGROUP_X),
    Math.ceil(outW / constants.WORKGROUP_Y),
    g.batch * outD * outH,
  ];
  return grid.some((n) => n > maxPerDimension) ? null : { grid, constants };
}

/** Whether the windows tile the input exactly: stride = kernel, no padding or dilation, each input size its output size times the kernel. */
function windowsTile(g: PoolGeometry): boolean {
  return g.kernel.every((k, i) => g.stride[i] === k && g.dilation[i] === 1 && g.padBegin[i] === 0 && g.padEnd[i] === 0 && g.inSpatial[i] === g.outSpatial[i] * k);
}

/**
 * How max_unpool_channels_last.wgsl covers the unpooling (or gradient) of a channels-last pooling
 * whose windows tile the input, with a channel count that is a multiple of 4: one pooled position and
 * four channels per invocation. Null when it does not apply or its grid would not fit.
 */
export function channelsLastTiledPlan(
  g: PoolGeometry,
  maxPerDimension: number,
): { grid: [number, number, number]; constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_W: number; KERNEL_H: number; KERNEL_D: number } } | null {
  if (g.layout !== 'NHWC' || !windowsTile(g)) return null;
  const plan = channelsLastPlan(g, maxPerDimension);
  if (!plan) return null;
  const [kernelD, kernelH, kernelW] = toDHW(g.kernel, 1);
  return { grid: plan.grid, constants: { ...plan.constants, KERNEL_W: kernelW, KERNEL_H: kernelH, KERNEL_D: kernelD } };
}

/**
 * max_pool_channels_last.wgsl's plan; where the windows tile the input, with TILES, the kernel's size
 * and several output columns per invocation (up to 8, and the launch profile's tiled rows, fewer
 * where that would leave fewer invocations than the profile wants).
 */
function channelsLastPoolPlan(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile): { grid: [number, number, number]; constants: Record<string, number> } | null {
  const tiles = channelsLastTiledPlan(g, maxPerDimension);
  if (!tiles) return channelsLastPlan(g, maxPerDimension);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const positions = (g.channels / 4) * g.batch * outD * outH;
  const columns = rowsPerInvocation(Math.min(8, launch.tiledRows), launch.minInvocations, (c) => positions * Math.ceil(outW / c));
  const grid: [number, number, number] = [tiles.grid[0], Math.ceil(outW / (columns * tiles.constants.WORKGROUP_Y)), tiles.grid[2]];
  return { grid, constants: { ...tiles.constants, TILES: 1, COLUMNS: columns } };
}

/**
 * The grid of a kernel that takes four columns of several rows per invocation: `groupsPerRow` groups
 * of four columns across x, rows (the launch profile's tiled rows, fewer where that would leave fewer
 * invocations than the profile wants) down y, `planes` along z. Null where it does not fit.
 */
function rowGroupsGrid(
  groupsPerRow: number,
  height: number,
  planes: number,
  maxPerDimension: number,
  launch: LaunchProfile,
): { grid: [number, number, number]; constants: { WORKGROUP_X: number; WORKGROUP_Y: number; ROWS: number } } | null {
  const rows = rowsPerInvocation(launch.tiledRows, launch.minInvocations, (r) => groupsPerRow * Math.ceil(height / r) * planes);
  const shape = workgroupShape(groupsPerRow);
  const grid: [number, number, number] = [Math.ceil(groupsPerRow / shape.WORKGROUP_X), Math.ceil(height / (rows * shape.WORKGROUP_Y)), planes];
  return grid.some((n) => n > maxPerDimension) ? null : { grid, constants: { ...shape, ROWS: rows } };
}

/** How max_pool_tiled.wgsl covers a pooling: its grid and specialisation, or null when it does not apply. */
export interface TiledPlan {
  grid: [number, number, number];
  constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_W: number; KERNEL_H: number; KERNEL_D: number; ROWS: number };
}

/**
 * The tiled kernel applies when windows tile the input exactly (channels-first, stride = kernel, no
 * padding or dilation, each input size a multiple of its kernel) and each output row splits into
 * groups of four that one vec4 load per kernel column serves; and when its grid fits.
 */
export function tiledPlan(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): TiledPlan | null {
  const last = g.rank - 1;
  const [kernelD, kernelH, kernelW] = toDHW(g.kernel, 1);
  if (g.layout !== 'NCHW' || !windowsTile(g) || ![1, 2, 4].includes(kernelW) || g.outSpatial[last] % 4 !== 0) return null;
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const rows = rowGroupsGrid(outW / 4, outH, g.batch * g.channels * outD, maxPerDimension, launch);
  return rows && { grid: rows.grid, constants: { ...rows.constants, KERNEL_W: kernelW, KERNEL_H: kernelH, KERNEL_D: kernelD } };
}

/**
 * max_pool_tiled.wgsl on a single output row per plane (1-D, or height and depth 1): each invocation
 * takes a run of groups of four columns along the row (COLUMNS) instead of rows, so 1-D pooling
 * amortises its addressing as 2-D does. Null where tiledPlan does not apply or the output has rows.
 */
export function tiledColumnsPlan(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): (TiledPlan & { constants: { COLUMNS: number } }) | null {
  const base = tiledPlan(g, maxPerDimension, launch);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  if (!base || outD !== 1 || outH !== 1) return null;
  const groupsPerRow = outW / 4;
  const planes = g.batch * g.channels;
  const runs = rowsPerInvocation(launch.tiledRows, launch.minInvocations, (r) => Math.ceil(groupsPerRow / r) * planes);
  const shape = workgroupShape(Math.ceil(groupsPerRow / runs));
  const grid: [number, number, number] = [Math.ceil(groupsPerRow / runs / shape.WORKGROUP_X), 1, planes];
  if (grid.some((n) => n > maxPerDimension)) return null;
  return { grid, constants: { ...base.constants, ...shape, ROWS: runs, COLUMNS: 1 } };
}

/** Whether dimension i has the ResNet stem's windows: 3 wide, stride 2, padding 1 before, dilation 1. */
function stemWindows(g: PoolGeometry, i: number): boolean {
  return g.kernel[i] === 3 && g.stride[i] === 2 && g.padBegin[i] === 1 && g.dilation[i] === 1;
}

/**
 * How max_unpool_overlap_tiled.wgsl covers the unpooling of a 2-D channels-first pooling with 3x3
 * windows, stride 2, padding 1 at the start and dilation 1 in both dimensions, the input width a
 * multiple of 4: four input columns of several input rows per invocation. Null when it does not apply
 * or its grid would not fit.
 */
export function overlapUnpoolPlan(
  g: PoolGeometry,
  maxPerDimension: number,
  launch: LaunchProfile = LAUNCH_PROFILES.emulated,
): { grid: [number, number, number]; constants: { WORKGROUP_X: number; WORKGROUP_Y: number; ROWS: number } } | null {
  if (g.layout !== 'NCHW' || g.rank !== 2 || !stemWindows(g, 0) || !stemWindows(g, 1) || g.inSpatial[1] % 4 !== 0) return null;
  const [inH, inW] = g.inSpatial;
  return rowGroupsGrid(inW / 4, inH, g.batch * g.channels, maxPerDimension, launch);
}

/** How max_pool_overlap_tiled.wgsl covers a pooling: its grid and specialisation. */
export interface OverlapTiledPlan {
  grid: [number, number, number];
  constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_H: number; ROWS: number };
}

/**
 * The overlapping-window tiled kernel applies to 2-D channels-first poolings whose windows are 3 wide
 * with stride 2, padding 1 (before) and dilation 1 along the width (the 3x3/2 ResNet stem), any kernel
 * height, stride, padding and dilation, ceil mode included, on inputs whose width is a multiple of 4
 * (so each row starts on a whole vec4); and when its grid fits. Null otherwise.
 */
export function overlapTiledPlan(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): OverlapTiledPlan | null {
  if (g.layout !== 'NCHW' || g.rank !== 2 || !stemWindows(g, 1) || g.inSpatial[1] % 4 !== 0) return null;
  const [outH, outW] = g.outSpatial;
  const rows = rowGroupsGrid(Math.ceil(outW / 4), outH, g.batch * g.channels, maxPerDimension, launch);
  return rows && { grid: rows.grid, constants: { ...rows.constants, KERNEL_H: g.kernel[0] } };
}

/**
 * How window_gather.wgsl (the general kernel behind unpooling from a known pooling and the pooling
 * gradient) covers a pooling input: channels-first, several input rows per invocation (fewer where
 * the input is small); channels-last, one. The kernel loops over every grid dimension in steps of the
 * grid (grid-stride loops), so each dimension is clamped to the limit and any size fits.
 */
export function windowGatherPlan(
  pooling: PoolGeometry,
  limit: number,
  launch: LaunchProfile = LAUNCH_PROFILES.emulated,
  lastMatch = false,
): { shader: ShaderName; grid: [number, number, number]; constants: Record<string, number> } {
  const [kernelD, kernelH, kernelW] = toDHW(pooling.kernel, 1);
  const [strideD, strideH, strideW] = toDHW(pooling.stride, 1);
  const [dilationD, dilationH, dilationW] = toDHW(pooling.dilation, 1);
  const window = {
    KERNEL_D: kernelD, KERNEL_H: kernelH, KERNEL_W: kernelW,
    STRIDE_D: strideD, STRIDE_H: strideH, STRIDE_W: strideW,
    DILATION_D: dilationD, DILATION_H: dilationH, DILATION_W: dilationW,
    LAST_MATCH: lastMatch ? 1 : 0,
  };
  const [inD, inH, inW] = toDHW(pooling.inSpatial, 1);
  const planes = pooling.layout === 'NCHW' ? pooling.batch * pooling.channels * inD : pooling.batch * inD;
  const rows =
    pooling.layout === 'NCHW' ? rowsPerInvocation(launch.gatherRows, launch.minInvocations, (r) => inW * Math.ceil(inH / r) * planes) : 1;
  const [countX, countY, countZ] =
    pooling.layout === 'NCHW' ? [inW, Math.ceil(inH / rows), planes] : [pooling.channels, inW, planes * inH];
  const shape = workgroupShape(countX);
  const grid: [number, number, number] = [
    Math.min(Math.ceil(countX / shape.WORKGROUP_X), limit),
    Math.min(Math.ceil(countY / shape.WORKGROUP_Y), limit),
    Math.min(countZ, limit),
  ];
  return { shader: 'window_gather.wgsl', grid, constants: { ...shape, ...window, ROWS: rows } };
}

/**
 * The program that writes, for every element of the pooling input's shape, what the pooled outputs
 * whose window holds it send there (the gradient sum, or the last value whose index names it).
 * Windows that tile the input take max_unpool_tiled.wgsl (channels-first) or
 * max_unpool_channels_last.wgsl (channels-last, channels a multiple of 4); other windows window_scatter.wgsl, driven
 * by the pooled elements, which needs `result` cleared first (`clear` is then true). The general
 * kernels (specialised false) take a window gather.
 */
function gatherProgram(
  op: string,
  pooling: PoolGeometry,
  gradient: boolean,
  context: PlanContext,
  bindings: string[],
): { program: ProgramPlan; clear: boolean } {
  const limit = context.limits.maxComputeWorkgroupsPerDimension;
  const launch = context.launch ?? LAUNCH_PROFILES.emulated;
  const specialised = context.specialised !== false;
  const tiled = specialised ? tiledPlan(pooling, limit, launch) : null;
  if (tiled) {
    return { program: program(`${op} tiled`, 'max_unpool_tiled.wgsl', { ...tiled.constants, GRADIENT: gradient ? 1 : 0 }, bindings, tiled.grid), clear: false };
  }
  const channelsLast = specialised ? channelsLastTiledPlan(pooling, limit) : null;
  if (channelsLast) {
    const constants = { ...channelsLast.constants, GRADIENT: gradient ? 1 : 0 };
    return { program: program(`${op} tiled`, 'max_unpool_channels_last.wgsl', constants, bindings, channelsLast.grid), clear: false };
  }
  const overlap = specialised && !gradient ? overlapUnpoolPlan(pooling, limit, launch) : null;
  if (overlap) {
    return { program: program(`${op} overlap`, 'max_unpool_overlap_tiled.wgsl', overlap.constants, bindings, overlap.grid), clear: false };
  }
  const plan = windowGatherPlan(pooling, limit, launch, !gradient);
  if (specialised) {
    const { KERNEL_D, KERNEL_H, KERNEL_W, STRIDE_D, STRIDE_H, STRIDE_W, DILATION_D, DILATION_H, DILATION_W, LAST_MATCH } = plan.constants;
    const overlap = pooling.kernel.some((k, i) => (k - 1) * pooling.dilation[i] >= pooling.stride[i]) ? 1 : 0;
    const constants = { WORKGROUP_SIZE, KERNEL_D, KERNEL_H, KERNEL_W, STRIDE_D, STRIDE_H, STRIDE_W, DILATION_D, DILATION_H, DILATION_W, LAST_MATCH, OVERLAP: overlap };
    const grid = dispatchGrid(elements(pooling, pooling.outSpatial), WORKGROUP_SIZE, limit, op);
    return { program: program(`${op} scatter`, 'window_scatter.wgsl', constants, bindings, grid), clear: true };
  }
  return { program: program(`${op} gather`, plan.shader, plan.constants, bindings, plan.grid), clear: false };
}

/**
 * Checks every buffer the programs bind against the device's limits (binding size, buffer size), so
 * an operation too large for the device is refused with the limit's name before any GPU work.
 */
export function finishPlan(plan: OperationPlan, limits: PlanLimits): OperationPlan {
  const sizes = new Map<string, { bytes: number; storage: boolean }>();
  for (const need of plan.needs) sizes.set(need.role, { bytes: need.bytes, storage: true });
  for (const s of plan.scratch) sizes.set(s.role, { bytes: s.bytes, storage: (s.usage & BufferUsage.STORAGE) !== 0 });
  for (const [role, { bytes, storage }] of sizes) {
    if (storage && bytes > limits.maxStorageBufferBindingSize) {
      throw new RangeError(`${plan.op}: ${role} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize})`);
    }
    if (bytes > limits.maxBufferSize) {
      throw new RangeError(`${plan.op}: ${role} needs ${bytes} bytes, more than this device's maxBufferSize (${limits.maxBufferSize})`);
    }
  }
  for (const p of plan.programs) {
    for (const role of p.bindings) {
      if (!sizes.has(role)) throw new Error(`${plan.op}: internal: program ${p.label} binds unknown buffer ${role}`);
    }
    if (p.grid.some((n) => !Number.isInteger(n) || n < 1 || n > limits.maxComputeWorkgroupsPerDimension)) {
      throw new RangeError(`${plan.op}: grid ${show(p.grid)} does not fit maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`);
    }
  }
  return plan;
}

function paramsScratch(op: string, words: Uint32Array<ArrayBuffer>): ScratchPlan {
  return { role: 'params', label: `${op} params`, bytes: words.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, uniform: words };
}

/** The pooling kernels' NAN_RULE override for each NaN rule (NAN_PROPAGATE, ... in layout.wgsl). */
export const NAN_RULE_CODES: Readonly<Record<NanRule, number>> = { propagate: 0, ignore: 1, first: 2 };

/** Max pooling with indices: one pass writes both outputs. */
export function planMaxPool(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  return withFloatStorage(maxPoolPlan(geometry, context), context.float);
}

function maxPoolPlan(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  const op = geometry.op;
  const { limits } = context;
  const launch = context.launch ?? LAUNCH_PROFILES.emulated;
  const outputCount = elements(geometry, geometry.outSpatial);
  // 'window': the pooling writes spatial indices to scratch, and window_indices_pack.wgsl packs taps.
  const windowed = geometry.indexFormat === 'window';
  const bindings = ['params', 'input', 'values', windowed ? 'spatialIndices' : 'indices'];
  const limit = limits.maxComputeWorkgroupsPerDimension;
  const specialised = context.specialised !== false;
  const tiled = specialised ? (tiledColumnsPlan(geometry, limit, launch) ?? tiledPlan(geometry, limit, launch)) : null;
  // float16 stores the overlap kernel's outputs in whole words, two lanes at a time: even widths only.
  const overlap = specialised && !tiled && (!halfFloats(context) || geometry.outSpatial[1] % 2 === 0) ? overlapTiledPlan(geometry, limit, launch) : null;
  const channelsLast = specialised && !tiled && !overlap ? channelsLastPoolPlan(geometry, limit, launch) : null;
  const rule = { NAN_RULE: NAN_RULE_CODES[geometry.nan] };
  const main = tiled
    ? program(op, 'max_pool_tiled.wgsl', { ...tiled.constants, ...rule }, bindings, tiled.grid)
    : overlap
      ? program(op, 'max_pool_overlap_tiled.wgsl', { ...overlap.constants, ...rule }, bindings, overlap.grid)
      : channelsLast
        ? program(op, 'max_pool_channels_last.wgsl', { ...channelsLast.constants, ...rule }, bindings, channelsLast.grid)
        : program(op, 'max_pool.wgsl', { WORKGROUP_SIZE, ...rule }, bindings, dispatchGrid(outputCount, WORKGROUP_SIZE, limit, op));
  const scratch = [paramsScratch(op, packPoolParams(asSpatial(geometry)))];
  const programs = [main];
  if (windowed) {
    scratch.push({ role: 'spatialIndices', label: `${op} spatial indices`, bytes: outputCount * 4, usage: BufferUsage.STORAGE });
    programs.push(
      flatProgram(op, `${op} window indices`, 'window_indices_pack.wgsl', ['params', 'spatialIndices', 'indices'], Math.ceil(outputCount / 4), limits),
    );
  }
  return finishPlan(
    {
      op,
      needs: [
        { role: 'input', bytes: floatBytes(context.float, elements(geometry, geometry.inSpatial)) },
        { role: 'values', bytes: floatBytes(context.float, outputCount) },
        { role: 'indices', bytes: windowed ? windowIndexBytes(outputCount) : outputCount * 4 },
      ],
      scratch,
      clears: [],
      programs,
    },
    limits,
  );
}

/**
 * Max unpooling. Indices known to come from a pooling whose input is this unpooling's output (and
 * fill 'zero'): a window gather, no faults possible. Otherwise a deterministic general scatter: clear
 * the owner map and the status, let every pooled element claim its target (the last in memory order
 * wins), write every output element once, and complete the fault status.
 */
export function planMaxUnpool(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  return withFloatStorage(maxUnpoolPlan(geometry, context), context.float);
}

function maxUnpoolPlan(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  if (geometry.indexFormat === 'window') {
    const windows = unpoolWindows(geometry);
    const pooledBy = sameWindows(windows, context.pooledBy) ? asSpatial(context.pooledBy!) : undefined;
    const plan = planMaxUnpool(asSpatial(geometry), { ...context, pooledBy });
    return readingWindowTaps(plan, windows, elements(geometry, geometry.inSpatial), context.limits);
  }
  const op = geometry.op;
  const { limits } = context;
  const pooledCount = elements(geometry, geometry.inSpatial);
  const outputCount = elements(geometry, geometry.outSpatial);
  const needs = [
    { role: 'values', bytes: floatBytes(context.float, pooledCount) },
    { role: 'indices', bytes: pooledCount * 4 },
    { role: 'output', bytes: floatBytes(context.float, outputCount) },
    { role: 'status', bytes: STATUS_BYTES },
  ];
  const clears = [{ role: 'status', bytes: STATUS_BYTES }];
  const source = context.specialised === false ? undefined : context.pooledBy;
  if (source && geometry.fill === 'zero' && unpoolsPooling(geometry, source)) {
    const gather = gatherProgram(op, source, false, context, ['params', 'values', 'indices', 'output']);
    const clearOutput = gather.clear ? [{ role: 'output', bytes: floatBytes(context.float, outputCount) }] : [];
    return finishPlan({ op, needs, scratch: [paramsScratch(op, packPoolParams(source))], clears: [...clears, ...clearOutput], programs: [gather.program] }, limits);
  }
  if (geometry.fill !== 'zero') {
    // max_unpool_write.wgsl forms (2*dst + 1) * in = q * (2*out) + r exactly, which needs 2*out < 2^31.
    const largest = Math.max(...geometry.outSpatial);
    if (2 * largest >= 2 ** 31) {
      throw new RangeError(`${op}: fill '${geometry.fill}' supports output sizes below 2^30, got ${show(geometry.outSpatial)}`);
    }
  }
  return finishPlan(
    {
      op,
      needs,
      scratch: [
        paramsScratch(op, packUnpoolParams(geometry)),
        { role: 'owner', label: `${op} owner map`, bytes: outputCount * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST },
      ],
      clears: [...clears, { role: 'owner', bytes: outputCount * 4 }],
      programs: [
        flatProgram(op, `${op} claim`, 'max_unpool_claim.wgsl', ['params', 'indices', 'owner', 'status'], pooledCount, limits),
        flatProgram(op, `${op} write`, 'max_unpool_write.wgsl', ['params', 'values', 'owner', 'output'], outputCount, limits),
        faultProgram(op),
      ],
    },
    limits,
  );
}

/**
 * Gradient of max pooling: a check that every index lies inside its own window (skipped for indices
 * from this very pooling), then a gather in which each input element sums the gradients of the
 * outputs that chose it. `geometry` is the forward pooling's (input shape and options).
 */
export function planMaxPoolBackward(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  return withFloatStorage(maxPoolBackwardPlan(geometry, context), context.float);
}

function maxPoolBackwardPlan(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  if (geometry.indexFormat === 'window') {
    const windows = asSpatial(geometry);
    const pooledBy = sameWindows(windows, context.pooledBy) ? asSpatial(context.pooledBy!) : undefined;
    const plan = planMaxPoolBackward(windows, { ...context, pooledBy });
    return readingWindowTaps(plan, windows, elements(geometry, geometry.outSpatial), context.limits);
  }
  const op = geometry.op;
  const { limits } = context;
  const pooledCount = elements(geometry, geometry.outSpatial);
  const source = context.specialised === false ? undefined : context.pooledBy;
  const gather = gatherProgram(op, geometry, true, context, ['params', 'gradOutput', 'indices', 'gradInput']);
  const programs =
    source && samePooling(geometry, source)
      ? [gather.program]
      : [flatProgram(op, `${op} check`, 'max_pool_backward_check.wgsl', ['params', 'indices', 'status'], pooledCount, limits), gather.program, faultProgram(op)];
  const inputCount = elements(geometry, geometry.inSpatial);
  return finishPlan(
    {
      op,
      needs: [
        { role: 'gradOutput', bytes: floatBytes(context.float, pooledCount) },
        { role: 'indices', bytes: pooledCount * 4 },
        { role: 'gradInput', bytes: floatBytes(context.float, inputCount) },
        { role: 'status', bytes: STATUS_BYTES },
      ],
      scratch: [paramsScratch(op, packPoolParams(asSpatial(geometry)))],
      clears: [{ role: 'status', bytes: STATUS_BYTES }, ...(gather.clear ? [{ role: 'gradInput', bytes: floatBytes(context.float, inputCount) }] : [])],
      programs,
    },
    limits,
  );
}

/** Gradient of max unpooling with respect to the pooled values: a gather at each index. */
export function planMaxUnpoolBackward(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  return withFloatStorage(maxUnpoolBackwardPlan(geometry, context), context.float);
}

function maxUnpoolBackwardPlan(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  if (geometry.indexFormat === 'window') {
    const plan = planMaxUnpoolBackward(asSpatial(geometry), context);
    return readingWindowTaps(plan, unpoolWindows(geometry), elements(geometry, geometry.inSpatial), context.limits);
  }
  const op = geometry.op;
  const { limits } = context;
  const pooledCount = elements(geometry, geometry.inSpatial);
  return finishPlan(
    {
      op,
      needs: [
        { role: 'gradOutput', bytes: floatBytes(context.float, elements(geometry, geometry.outSpatial)) },
        { role: 'indices', bytes: pooledCount * 4 },
        { role: 'gradValues', bytes: floatBytes(context.float, pooledCount) },
        { role: 'status', bytes: STATUS_BYTES },
      ],
      scratch: [paramsScratch(op, packUnpoolParams(geometry))],
      clears: [{ role: 'status', bytes: STATUS_BYTES }],
      programs: [
        flatProgram(op, op, 'max_unpool_backward.wgsl', ['params', 'gradOutput', 'indices', 'gradValues', 'status'], pooledCount, limits),
        faultProgram(op),
      ],
    },
    limits,
  );
}

/** Whether an unpooling puts back exactly what a pooling took: its output is that pooling's input. */
function unpoolsPooling(unpool: UnpoolGeometry, pool: PoolGeometry): boolean {
  return (
    unpool.layout === pool.layout &&
    unpool.indexFormat === pool.indexFormat &&
    unpool.batch === pool.batch &&
    unpool.channels === pool.channels &&
    sameList(unpool.inSpatial, pool.outSpatial) &&
    sameList(unpool.outSpatial, pool.inSpatial)
  );
}

/** Whether two pooling geometries describe the same windows over the same input. */
function samePooling(a: PoolGeometry, b: PoolGeometry): boolean {
  return (
    a.layout === b.layout &&
    a.indexFormat === b.indexFormat &&
    a.batch === b.batch &&
    a.channels === b.channels &&
    (['inSpatial', 'outSpatial', 'kernel', 'stride', 'padBegin', 'dilation'] as const).every((key) => sameList(a[key], b[key]))
  );
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
