/**
 * Low-level layer: records one operation into a caller's GPUCommandEncoder on caller-owned buffers,
 * so the kernels can sit inside someone else's WebGPU pipeline. Nothing here submits or reads back.
 *
 * Each record function returns the scratch buffers it allocated (params uniforms, the unpooling
 * owner map). They are used by the recorded commands: destroy or recycle them only after the
 * encoder's command buffer has been submitted.
 */
import indexFaultWgsl from '../shaders/index_fault.wgsl?raw';
import layoutWgsl from '../shaders/layout.wgsl?raw';
import paramsWgsl from '../shaders/params.wgsl?raw';
import maxPoolWgsl from '../shaders/max_pool.wgsl?raw';
import maxPoolBackwardCheckWgsl from '../shaders/max_pool_backward_check.wgsl?raw';
import maxPoolChannelsLastWgsl from '../shaders/max_pool_channels_last.wgsl?raw';
import maxPoolTiledWgsl from '../shaders/max_pool_tiled.wgsl?raw';
import maxUnpoolBackwardWgsl from '../shaders/max_unpool_backward.wgsl?raw';
import maxUnpoolClaimWgsl from '../shaders/max_unpool_claim.wgsl?raw';
import maxUnpoolTiledWgsl from '../shaders/max_unpool_tiled.wgsl?raw';
import windowGatherWgsl from '../shaders/window_gather.wgsl?raw';
import windowGatherChannelsLastWgsl from '../shaders/window_gather_channels_last.wgsl?raw';
import maxUnpoolWriteWgsl from '../shaders/max_unpool_write.wgsl?raw';
import { dispatchGrid } from './dispatch';
import { BufferUsage } from './webgpu_constants';
import { product, show, type PoolGeometry, type UnpoolGeometry } from './options';
import { packPoolParams, packUnpoolParams, toDHW } from './params';
import { getPipeline } from './pipelines';

export const WORKGROUP_SIZE = 64;


/** Bytes of the fault status an unpooling (or any index-reading) kernel writes: two u32 words. */
export const STATUS_BYTES = 8;

export type Allocate = (descriptor: GPUBufferDescriptor) => GPUBuffer;

export interface RecordOptions {
  /** Where scratch buffers come from; defaults to `device.createBuffer`. */
  allocate?: Allocate;
  /** Timestamp writes for the operation's compute pass (each operation records exactly one pass). */
  timestampWrites?: GPUComputePassTimestampWrites;
  /**
   * false: always use the general kernels, never the specialised ones (for tests that cover both,
   * and benchmarks that compare them). Results are identical either way. Default true.
   */
  specialised?: boolean;
  /**
   * For operations that read indices: the geometry of the pooling that produced them, when the
   * caller knows it (the indices came from `recordMaxPool` with this geometry and were not changed
   * since). Such indices lie inside their own windows, which lets unpooling and the gradient run as
   * single-pass gathers. Wrong provenance gives wrong results; leave it out when unsure.
   */
  pooledBy?: PoolGeometry;
}

export interface Recorded {
  /** Buffers this call allocated; release them after the command buffer is submitted. */
  scratch: GPUBuffer[];
}

export interface MaxPoolBuffers {
  /** float32 input, in the geometry's layout. */
  input: GPUBuffer;
  /** float32 output values, same layout. */
  values: GPUBuffer;
  /** int32 output indices, same layout, in the geometry's index format. */
  indices: GPUBuffer;
}

export interface MaxUnpoolBuffers {
  values: GPUBuffer;
  indices: GPUBuffer;
  output: GPUBuffer;
  /**
   * 8 bytes, STORAGE: after the commands run, word 0 is ~(first bad element) or 0 when every index
   * was valid, and word 1 is that element's index. See `decodeStatus`.
   */
  status: GPUBuffer;
}

function requireSize(op: string, name: string, buffer: GPUBuffer, bytes: number): void {
  if (buffer.size < bytes) {
    throw new RangeError(`${op}: ${name} buffer holds ${buffer.size} bytes, the operation needs ${bytes}`);
  }
  if (!(buffer.usage & BufferUsage.STORAGE)) {
    throw new TypeError(`${op}: ${name} buffer must have STORAGE usage`);
  }
}

/** Every kernel gets the params structs and the shared addressing helpers in front of its own text. */
export function withShared(code: string): string {
  return `${paramsWgsl}\n${layoutWgsl}\n${code}`;
}

/** The pipeline of a kernel file, with the shared text prepended. */
function pipelineFor(device: GPUDevice, name: string, code: string, constants: Record<string, number> = { WORKGROUP_SIZE }): GPUComputePipeline {
  return getPipeline(device, name, withShared(code), constants);
}

/** Workgroup width (a power of two up to 64) for `count` items along x; the rest of 64 goes to y. */
function workgroupShape(count: number): { WORKGROUP_X: number; WORKGROUP_Y: number } {
  const x = Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, count))));
  return { WORKGROUP_X: x, WORKGROUP_Y: 64 / x };
}

/**
 * How max_pool_channels_last.wgsl covers a pooling: channels-last with a channel count that is a
 * multiple of 4 (four channels per invocation), any window geometry. Null when it does not apply.
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

/** How max_pool_tiled.wgsl covers a pooling: its grid and specialisation, or null when it does not apply. */
export interface TiledPlan {
  grid: [number, number, number];
  constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_W: number; KERNEL_H: number; KERNEL_D: number; ROWS: number };
}

/**
 * Invocations below which kernels that take several rows per invocation take fewer: many rows per
 * invocation suit CPU emulations (SwiftShader), while a GPU needs enough invocations to fill it.
 */
const MIN_INVOCATIONS = 16384;

/** The most rows (up to `most`, halving) that keep `invocations(rows)` at MIN_INVOCATIONS or more. */
function rowsPerInvocation(most: number, invocations: (rows: number) => number): number {
  let rows = most;
  while (rows > 1 && invocations(rows) < MIN_INVOCATIONS) rows /= 2;
  return rows;
}

/**
 * The tiled kernel applies when windows tile the input exactly (channels-first, stride = kernel, no
 * padding or dilation, each input size a multiple of its kernel) and each output row splits into
 * groups of four that one vec4 load per kernel column serves.
 */
export function tiledPlan(g: PoolGeometry, maxPerDimension: number): TiledPlan | null {
  const last = g.rank - 1;
  const tiles =
    g.layout === 'NCHW' &&
    g.kernel.every((k, i) => g.stride[i] === k && g.dilation[i] === 1 && g.padBegin[i] === 0 && g.padEnd[i] === 0 && g.inSpatial[i] === g.outSpatial[i] * k);
  const [kernelD, kernelH, kernelW] = toDHW(g.kernel, 1);
  if (!tiles || ![1, 2, 4].includes(kernelW) || g.outSpatial[last] % 4 !== 0) return null;
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const groupsPerRow = outW / 4;
  const planes = g.batch * g.channels * outD;
  const rows = rowsPerInvocation(16, (r) => groupsPerRow * Math.ceil(outH / r) * planes);
  const shape = workgroupShape(groupsPerRow);
  const grid: [number, number, number] = [
    Math.ceil(groupsPerRow / shape.WORKGROUP_X),
    Math.ceil(outH / (rows * shape.WORKGROUP_Y)),
    planes,
  ];
  if (grid.some((n) => n > maxPerDimension)) return null;
  return { grid, constants: { ...shape, KERNEL_W: kernelW, KERNEL_H: kernelH, KERNEL_D: kernelD, ROWS: rows } };
}

/** Copies the first bad element's index next to its position in a status buffer (index_fault.wgsl). */
function completeFault(device: GPUDevice, pass: GPUComputePassEncoder, op: string, indices: GPUBuffer, status: GPUBuffer): void {
  run(device, pass, getPipeline(device, 'index_fault.wgsl', indexFaultWgsl, {}), `${op} fault`, [indices, status], [1, 1, 1]);
}

/** Elements of a [batch, channels, ...spatial] tensor. */
function elements(g: { batch: number; channels: number }, spatial: readonly number[]): number {
  return g.batch * g.channels * product(spatial);
}

/** Checks each buffer against the bytes the operation needs, and returns the scratch allocator. */
function prepare(device: GPUDevice, op: string, options: RecordOptions, needs: [string, GPUBuffer, number][]): Allocate {
  for (const [name, buffer, bytes] of needs) requireSize(op, name, buffer, bytes);
  return options.allocate ?? ((d) => device.createBuffer(d));
}

function uniform(device: GPUDevice, allocate: Allocate, label: string, words: Uint32Array<ArrayBuffer>): GPUBuffer {
  const buffer = allocate({ label, size: words.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, words);
  return buffer;
}

/** A bind group of whole buffers at bindings 0, 1, 2, ... in order. */
function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, label: string, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** Binds `buffers` at 0, 1, 2, ... and dispatches `grid` workgroups of `pipeline`. */
function run(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: GPUBuffer[],
  grid: [number, number, number],
): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup(device, pipeline, label, buffers));
  pass.dispatchWorkgroups(...grid);
}

/** Runs a kernel that takes one invocation per item of a flat count (see dispatchGrid). */
function dispatch(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: GPUBuffer[],
  invocations: number,
  op: string,
): void {
  run(device, pass, pipeline, label, buffers, dispatchGrid(invocations, WORKGROUP_SIZE, device.limits.maxComputeWorkgroupsPerDimension, op));
}

/** Records max pooling with indices: one pass writes both outputs. */
export function recordMaxPool(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: PoolGeometry,
  buffers: MaxPoolBuffers,
  options: RecordOptions = {},
): Recorded {
  const op = geometry.op;
  const outputCount = elements(geometry, geometry.outSpatial);
  const allocate = prepare(device, op, options, [
    ['input', buffers.input, elements(geometry, geometry.inSpatial) * 4],
    ['values', buffers.values, outputCount * 4],
    ['indices', buffers.indices, outputCount * 4],
  ]);
  const params = uniform(device, allocate, `${op} params`, packPoolParams(geometry));
  const bindings = [params, buffers.input, buffers.values, buffers.indices];
  const pass = encoder.beginComputePass({ label: op, timestampWrites: options.timestampWrites });
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  const tiled = options.specialised === false ? null : tiledPlan(geometry, limit);
  const channelsLast = options.specialised === false || tiled ? null : channelsLastPlan(geometry, limit);
  if (tiled) {
    run(device, pass, pipelineFor(device, 'max_pool_tiled.wgsl', maxPoolTiledWgsl, tiled.constants), op, bindings, tiled.grid);
  } else if (channelsLast) {
    const pipeline = pipelineFor(device, 'max_pool_channels_last.wgsl', maxPoolChannelsLastWgsl, channelsLast.constants);
    run(device, pass, pipeline, op, bindings, channelsLast.grid);
  } else {
    dispatch(device, pass, pipelineFor(device, 'max_pool.wgsl', maxPoolWgsl), op, bindings, outputCount, op);
  }
  pass.end();
  return { scratch: [params] };
}

/**
 * Records max unpooling as a deterministic general scatter: clear the owner map and the status,
 * let every pooled element claim its target (the last in memory order wins), then write every output
 * element once.
 */
export function recordMaxUnpool(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: UnpoolGeometry,
  buffers: MaxUnpoolBuffers,
  options: RecordOptions = {},
): Recorded {
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.inSpatial);
  const outputCount = elements(geometry, geometry.outSpatial);
  const allocate = prepare(device, op, options, [
    ['values', buffers.values, pooledCount * 4],
    ['indices', buffers.indices, pooledCount * 4],
    ['output', buffers.output, outputCount * 4],
    ['status', buffers.status, STATUS_BYTES],
  ]);
  encoder.clearBuffer(buffers.status, 0, STATUS_BYTES);
  const source = options.specialised === false ? undefined : options.pooledBy;
  if (source && geometry.fill === 'zero' && unpoolsPooling(geometry, source)) {
    // Indices from this pooling: gather per window, no claim pass, no owner map, no faults possible.
    const params = uniform(device, allocate, `${op} params`, packPoolParams(source));
    const pass = encoder.beginComputePass({ label: op, timestampWrites: options.timestampWrites });
    recordWindowGather(device, pass, op, source, params, buffers.values, buffers.indices, buffers.output, false);
    pass.end();
    return { scratch: [params] };
  }
  const params = uniform(device, allocate, `${op} params`, packUnpoolParams(geometry));
  const owner = allocate({
    label: `${op} owner map`,
    size: outputCount * 4,
    usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
  });
  encoder.clearBuffer(owner, 0, outputCount * 4);
  const claim = pipelineFor(device, 'max_unpool_claim.wgsl', maxUnpoolClaimWgsl);
  const write = pipelineFor(device, 'max_unpool_write.wgsl', maxUnpoolWriteWgsl);
  const pass = encoder.beginComputePass({ label: op, timestampWrites: options.timestampWrites });
  dispatch(device, pass, claim, `${op} claim`, [params, buffers.indices, owner, buffers.status], pooledCount, op);
  dispatch(device, pass, write, `${op} write`, [params, buffers.values, owner, buffers.output], outputCount, op);
  completeFault(device, pass, op, buffers.indices, buffers.status);
  pass.end();
  return { scratch: [params, owner] };
}

export interface MaxPoolBackwardBuffers {
  /** float32, the pooled shape. */
  gradOutput: GPUBuffer;
  /** int32, the pooled shape, as maxPool returned them for the same options. */
  indices: GPUBuffer;
  /** float32 result, the pooling input's shape. */
  gradInput: GPUBuffer;
  /** 8 bytes: the fault status, as for unpooling (an index that is invalid or outside its window). */
  status: GPUBuffer;
}

/**
 * Records the gradient of max pooling: a check that every index lies inside its own window, then a
 * gather in which each input element sums the gradients of the outputs that chose it.
 * `geometry` is the forward pooling's (input shape and options).
 */
export function recordMaxPoolBackward(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: PoolGeometry,
  buffers: MaxPoolBackwardBuffers,
  options: RecordOptions = {},
): Recorded {
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.outSpatial);
  const allocate = prepare(device, op, options, [
    ['gradOutput', buffers.gradOutput, pooledCount * 4],
    ['indices', buffers.indices, pooledCount * 4],
    ['gradInput', buffers.gradInput, elements(geometry, geometry.inSpatial) * 4],
    ['status', buffers.status, STATUS_BYTES],
  ]);
  const params = uniform(device, allocate, `${op} params`, packPoolParams(geometry));
  encoder.clearBuffer(buffers.status, 0, STATUS_BYTES);
  const source = options.specialised === false ? undefined : options.pooledBy;
  const pass = encoder.beginComputePass({ label: op, timestampWrites: options.timestampWrites });
  if (source && samePooling(geometry, source)) {
    // Indices from this very pooling lie inside their windows: nothing to check.
    recordWindowGather(device, pass, op, geometry, params, buffers.gradOutput, buffers.indices, buffers.gradInput, true);
  } else {
    const check = pipelineFor(device, 'max_pool_backward_check.wgsl', maxPoolBackwardCheckWgsl);
    dispatch(device, pass, check, `${op} check`, [params, buffers.indices, buffers.status], pooledCount, op);
    recordWindowGather(device, pass, op, geometry, params, buffers.gradOutput, buffers.indices, buffers.gradInput, true);
    completeFault(device, pass, op, buffers.indices, buffers.status);
  }
  pass.end();
  return { scratch: [params] };
}

export interface MaxUnpoolBackwardBuffers {
  /** float32, the unpooled shape. */
  gradOutput: GPUBuffer;
  /** int32, the pooled shape. */
  indices: GPUBuffer;
  /** float32 result, the pooled shape. */
  gradValues: GPUBuffer;
  /** 8 bytes: the fault status, as for unpooling. */
  status: GPUBuffer;
}

/** Records the gradient of max unpooling with respect to the pooled values: a gather at each index. */
export function recordMaxUnpoolBackward(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: UnpoolGeometry,
  buffers: MaxUnpoolBackwardBuffers,
  options: RecordOptions = {},
): Recorded {
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.inSpatial);
  const allocate = prepare(device, op, options, [
    ['gradOutput', buffers.gradOutput, elements(geometry, geometry.outSpatial) * 4],
    ['indices', buffers.indices, pooledCount * 4],
    ['gradValues', buffers.gradValues, pooledCount * 4],
    ['status', buffers.status, STATUS_BYTES],
  ]);
  const params = uniform(device, allocate, `${op} params`, packUnpoolParams(geometry));
  encoder.clearBuffer(buffers.status, 0, STATUS_BYTES);
  const gather = pipelineFor(device, 'max_unpool_backward.wgsl', maxUnpoolBackwardWgsl);
  const pass = encoder.beginComputePass({ label: op, timestampWrites: options.timestampWrites });
  dispatch(device, pass, gather, op, [params, buffers.gradOutput, buffers.indices, buffers.gradValues, buffers.status], pooledCount, op);
  completeFault(device, pass, op, buffers.indices, buffers.status);
  pass.end();
  return { scratch: [params] };
}

/**
 * Writes, for every element of the pooling input's shape, what the pooled outputs whose window holds
 * it send there: the gradient sum, or the last value whose index names it (unpooling). Windows that
 * tile the input take max_unpool_tiled.wgsl (each invocation writes four whole windows); others take
 * window_gather.wgsl (one invocation per element). Both assume every index lies inside its window:
 * the indices come from this pooling, or a check pass reports those that do not.
 */
function recordWindowGather(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  op: string,
  pooling: PoolGeometry,
  params: GPUBuffer,
  pooled: GPUBuffer,
  indices: GPUBuffer,
  result: GPUBuffer,
  gradient: boolean,
): void {
  const bindings = [params, pooled, indices, result];
  const tiled = tiledPlan(pooling, device.limits.maxComputeWorkgroupsPerDimension);
  if (tiled) {
    const pipeline = pipelineFor(device, 'max_unpool_tiled.wgsl', maxUnpoolTiledWgsl, { ...tiled.constants, GRADIENT: gradient ? 1 : 0 });
    run(device, pass, pipeline, `${op} tiled`, bindings, tiled.grid);
    return;
  }
  const plan = windowGatherPlan(pooling, device.limits.maxComputeWorkgroupsPerDimension, op, !gradient);
  run(device, pass, pipelineFor(device, plan.name, plan.code, plan.constants), `${op} gather`, bindings, plan.grid);
}

/**
 * How the window gather covers a pooling input: channels-last with channels in fours takes the
 * vectorised kernel; both walk several input rows per invocation (fewer where the input is small).
 */
export function windowGatherPlan(
  pooling: PoolGeometry,
  limit: number,
  op = pooling.op,
  lastMatch = false,
): { name: string; code: string; grid: [number, number, number]; constants: Record<string, number> } {
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
  const vectorised = pooling.layout === 'NHWC' && pooling.channels % 4 === 0;
  // x and y per invocation, and the rows z walks (see the kernels' grid notes). Channels-first and
  // the vectorised channels-last kernel walk several input rows per invocation; the scalar
  // channels-last fallback takes one.
  const lanes = vectorised ? pooling.channels / 4 : pooling.channels;
  const planes = pooling.layout === 'NCHW' ? pooling.batch * pooling.channels * inD : pooling.batch * inD;
  const rows = pooling.layout === 'NCHW' || vectorised ? rowsPerInvocation(32, (r) => inW * Math.ceil(inH / r) * planes * (pooling.layout === 'NCHW' ? 1 : lanes)) : 1;
  const [countX, countY, countZ] =
    pooling.layout === 'NCHW'
      ? [inW, Math.ceil(inH / rows), planes]
      : [lanes, inW, planes * Math.ceil(inH / rows)];
  const shape = workgroupShape(countX);
  const grid: [number, number, number] = [Math.ceil(countX / shape.WORKGROUP_X), Math.ceil(countY / shape.WORKGROUP_Y), Math.min(countZ, limit)];
  if (grid[0] > limit || grid[1] > limit) {
    throw new RangeError(`${op}: an input of spatial size ${show(pooling.inSpatial)} needs more workgroups than maxComputeWorkgroupsPerDimension (${limit})`);
  }
  const [name, code] = vectorised
    ? ['window_gather_channels_last.wgsl', windowGatherChannelsLastWgsl]
    : ['window_gather.wgsl', windowGatherWgsl];
  return { name, code, grid, constants: { ...shape, ...window, ROWS: rows } };
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

export interface IndexFault {
  /** Flat position of the first bad element (memory order) in the indices tensor. */
  position: number;
  /** The bad index itself. */
  index: number;
}

/** Reads a status buffer's two words; null when every index was valid. */
export function decodeStatus(words: Uint32Array): IndexFault | null {
  if (words[0] === 0) return null;
  return { position: ~words[0] >>> 0, index: words[1] | 0 };
}
