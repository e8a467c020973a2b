/**
 * The tensor-level API: owns buffers, batches every call into one command encoder, submits when a
 * result is read or `sync()` is called, and turns GPU-side faults into rejected reads.
 */
import { BufferPool } from './buffer_pool';
import {
  decodeStatus,
  recordMaxPool,
  recordMaxPoolBackward,
  recordMaxUnpool,
  recordMaxUnpoolBackward,
  STATUS_BYTES,
  type Recorded,
  type RecordOptions,
} from './kernels';
import {
  indexStrides,
  joinShape,
  opName,
  product,
  resolvePoolBackwardGeometry,
  resolvePoolGeometry,
  resolveUnpoolBackwardGeometry,
  resolveUnpoolGeometry,
  show,
  type Layout,
  type PoolBackwardOptions,
  type PoolGeometry,
  type PoolOptions,
  type SpatialRank,
  type UnpoolOptions,
} from './options';
import { Tensor, type DType, type FaultStatus, type TensorHost } from './tensor';
import { BufferUsage, MapMode } from './webgpu_constants';

export interface ArgPoolCreateOptions {
  /** Share an existing device; ArgPool never destroys a device it did not create. */
  device?: GPUDevice;
  /** Where to find an adapter when no device is given (default `navigator.gpu`; in Node, the `webgpu` package's). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * false: run every operation on the general kernels, never the specialised fast paths. Results are
   * bit-identical either way; this exists so tests and benchmarks can cover and compare both.
   */
  specialisedKernels?: boolean;
}

/** What `ArgPool.measure` found. */
export interface Measurement<T> {
  result: T;
  /** GPU time of the work recorded inside the callback, in milliseconds. */
  gpuMs: number;
  /** Per compute pass (one per operation) when timestamp queries are available. */
  passes: { label: string; ms: number }[];
  /** 'timestamp-query' when the adapter has it; otherwise the wall time from submit to completion. */
  method: 'timestamp-query' | 'submit-to-done';
}

/** Compute passes one `measure` call can time with timestamp queries. */
const MAX_TIMED_PASSES = 256;

export interface PoolResult {
  values: Tensor<'float32'>;
  indices: Tensor<'int32'>;
}

/** How long a failed GPU promise waits for `device.lost` to explain it. */
const LOSS_GRACE_MS = 200;

/** Limits worth raising from the defaults to the adapter's, so large tensors fit. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Creates a device with the adapter's buffer limits and, when offered, timestamp queries. */
export async function requestArgPoolDevice(options: Omit<ArgPoolCreateOptions, 'device'> = {}): Promise<GPUDevice> {
  const gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) {
    throw new Error(
      'ArgPool.create: WebGPU is not available here (no navigator.gpu). Use a browser with WebGPU, ' +
        'serve the page from https or localhost, or pass { gpu } (in Node: the `webgpu` package).',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) throw new Error('ArgPool.create: navigator.gpu.requestAdapter() returned no adapter');
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ label: 'argpool', requiredLimits, requiredFeatures });
  // The `webgpu` package (Dawn in Node) tears its instance down when the GPU object is collected,
  // devices included, and the process crashes: keep the GPU and adapter as long as the device lives.
  keepAlive.set(device, { gpu, adapter });
  return device;
}

/** What a device created here must not outlive; a WeakMap, so a destroyed device is still collectable. */
const keepAlive = new WeakMap<GPUDevice, { gpu: GPU; adapter: GPUAdapter }>();

export class ArgPool implements TensorHost {
  /** Set when the device is lost; every later call, and every pending read, fails with its reason. */
  lost: GPUDeviceLostInfo | null = null;

  private readonly pool: BufferPool;
  private encoder: GPUCommandEncoder | null = null;
  private scratch: GPUBuffer[] = [];
  private submitErrors: Promise<GPUError | null>[] = [];
  private readonly lostPromise: Promise<GPUDeviceLostInfo>;
  private disposed = false;
  private timer: { querySet: GPUQuerySet; labels: string[] } | null = null;
  private querySet: GPUQuerySet | null = null;

  private constructor(
    readonly device: GPUDevice,
    private readonly ownsDevice: boolean,
    private readonly specialised: boolean,
  ) {
    this.pool = new BufferPool(device);
    this.lostPromise = device.lost.then((info) => {
      this.lost = info;
      return info;
    });
  }

  static async create(options: ArgPoolCreateOptions = {}): Promise<ArgPool> {
    const specialised = options.specialisedKernels ?? true;
    if (options.device) return new ArgPool(options.device, false, specialised);
    return new ArgPool(await requestArgPoolDevice(options), true, specialised);
  }

  /** GPU buffers this context has created (pooled buffers are reused, so steady work stops adding). */
  get buffersCreated(): number {
    return this.pool.created;
  }

  /** Uploads host data: Float32Array gives a float32 tensor, Int32Array or BigInt64Array an int32 tensor. */
  tensor(data: Float32Array, shape: readonly number[]): Tensor<'float32'>;
  tensor(data: Int32Array | BigInt64Array, shape: readonly number[]): Tensor<'int32'>;
  tensor(data: Float32Array | Int32Array | BigInt64Array, shape: readonly number[]): Tensor {
    const op = 'tensor';
    this.checkUsable(op);
    let words: Float32Array | Int32Array;
    let dtype: DType;
    if (data instanceof Float32Array) {
      words = data;
      dtype = 'float32';
    } else if (data instanceof Int32Array) {
      words = data;
      dtype = 'int32';
    } else if (data instanceof BigInt64Array) {
      words = narrowIndices(op, 'data', data);
      dtype = 'int32';
    } else {
      throw new TypeError(`${op}: data must be a Float32Array, Int32Array or BigInt64Array, got ${describeValue(data)}`);
    }
    const dims = checkShape(op, shape);
    if (product(dims) !== words.length) {
      throw new RangeError(`${op}: data has ${words.length} elements but shape ${show(dims)} needs ${product(dims)}`);
    }
    this.checkBindingSize(op, 'data', words.byteLength);
    const buffer = this.allocateTensorBuffer(`tensor ${show(dims)}`, words.byteLength);
    this.device.queue.writeBuffer(buffer, 0, words as Int32Array<ArrayBuffer>);
    return new Tensor(this, buffer, dims, dtype, true);
  }

  /** Wraps a caller-owned buffer without copying. Its contents are read when work is submitted. */
  fromBuffer<D extends DType>(buffer: GPUBuffer, shape: readonly number[], dtype: D): Tensor<D> {
    const op = 'fromBuffer';
    this.checkUsable(op);
    if (dtype !== 'float32' && dtype !== 'int32') {
      throw new TypeError(`${op}: dtype must be 'float32' or 'int32', got ${show(dtype)}`);
    }
    const dims = checkShape(op, shape);
    const bytes = product(dims) * 4;
    if (buffer.size < bytes) {
      throw new RangeError(`${op}: buffer holds ${buffer.size} bytes but shape ${show(dims)} of ${dtype} needs ${bytes}`);
    }
    const needed = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
    if ((buffer.usage & needed) !== needed) {
      throw new TypeError(`${op}: buffer needs STORAGE and COPY_SRC usage, got usage ${buffer.usage}`);
    }
    return new Tensor(this, buffer, dims, dtype, false);
  }

  maxPool(input: Tensor, options: PoolOptions): PoolResult {
    return this.pool_('maxPool', input, options);
  }
  maxPool1d(input: Tensor, options: PoolOptions): PoolResult {
    return this.pool_('maxPool', input, options, 1);
  }
  maxPool2d(input: Tensor, options: PoolOptions): PoolResult {
    return this.pool_('maxPool', input, options, 2);
  }
  maxPool3d(input: Tensor, options: PoolOptions): PoolResult {
    return this.pool_('maxPool', input, options, 3);
  }

  maxUnpool(values: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
    return this.unpool_('maxUnpool', values, indices, options);
  }
  maxUnpool1d(values: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
    return this.unpool_('maxUnpool', values, indices, options, 1);
  }
  maxUnpool2d(values: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
    return this.unpool_('maxUnpool', values, indices, options, 2);
  }
  maxUnpool3d(values: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
    return this.unpool_('maxUnpool', values, indices, options, 3);
  }

  /**
   * Gradient of max pooling with respect to its input: each input element receives the sum of the
   * gradients of every output that chose it (overlapping windows can choose one element twice), in
   * a fixed order, so every run gives the same bits. `indices` are those maxPool returned for the
   * same options; an index outside its window makes the result's read reject.
   */
  maxPoolBackward(gradOutput: Tensor, indices: Tensor, options: PoolBackwardOptions): Tensor<'float32'> {
    const op = opName('maxPoolBackward', options?.inputShape?.length - 2);
    this.checkUsable(op);
    this.checkTensor(op, 'gradOutput', gradOutput, 'float32');
    this.checkTensor(op, 'indices', indices, 'int32');
    const geometry = resolvePoolBackwardGeometry(gradOutput.shape, indices.shape, options);
    const inShape = joinShape(geometry.batch, geometry.channels, geometry.inSpatial, geometry.layout);
    const bytes = product(inShape) * 4;
    this.checkBindingSize(op, 'gradOutput', gradOutput.byteLength);
    this.checkBindingSize(op, 'gradInput', bytes);
    const gradInput = this.allocateTensorBuffer(`${op} gradInput`, bytes);
    const fault = this.newFault(op, indices, geometry.layout, (index, where) => poolBackwardFault(geometry, index, where));
    this.track(
      recordMaxPoolBackward(this.device, this.currentEncoder(), geometry, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradInput, status: fault.buffer }, this.recordOptions(op, indices)),
    );
    return new Tensor(this, gradInput, inShape, 'float32', true, carriedFaults([gradOutput, indices], fault));
  }

  /**
   * Gradient of max unpooling with respect to the pooled values: the output gradient at each index's
   * position. The result has the shape of `indices`.
   */
  maxUnpoolBackward(gradOutput: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
    const op = opName('maxUnpoolBackward', indices?.shape?.length - 2);
    this.checkUsable(op);
    this.checkTensor(op, 'gradOutput', gradOutput, 'float32');
    this.checkTensor(op, 'indices', indices, 'int32');
    const geometry = resolveUnpoolBackwardGeometry(gradOutput.shape, indices.shape, options);
    const bytes = indices.byteLength;
    this.checkBindingSize(op, 'gradOutput', gradOutput.byteLength);
    const gradValues = this.allocateTensorBuffer(`${op} gradValues`, bytes);
    const outVolume = product(geometry.outSpatial);
    const fault = this.newFault(op, indices, geometry.layout, (index, where) => invalidIndex(op, index, where, outVolume));
    this.track(
      recordMaxUnpoolBackward(this.device, this.currentEncoder(), geometry, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradValues, status: fault.buffer }, this.recordOptions(op)),
    );
    return new Tensor(this, gradValues, indices.shape, 'float32', true, carriedFaults([gradOutput, indices], fault));
  }

  /** Submits pending work and resolves when the GPU has finished it. */
  async sync(): Promise<void> {
    this.checkUsable('sync');
    const errors = this.flush();
    await this.untilLost('sync', this.device.queue.onSubmittedWorkDone());
    await this.throwSubmitErrors('sync', errors);
  }

  /** Submits pending work without waiting for it. */
  flush(): Promise<GPUError | null>[] {
    if (this.encoder) {
      this.device.pushErrorScope('validation');
      this.device.queue.submit([this.encoder.finish()]);
      this.submitErrors.push(this.device.popErrorScope());
      this.encoder = null;
      for (const buffer of this.scratch) this.pool.release(buffer);
      this.scratch = [];
    }
    this.pool.submitted();
    const errors = this.submitErrors;
    this.submitErrors = [];
    return errors;
  }

  /**
   * Runs `fn`, which records operations, and measures their GPU time: with timestamp queries around
   * each operation's compute pass when the device has 'timestamp-query', else as the wall time from
   * submitting the work to its completion. Pending work is finished first so it is not counted.
   */
  async measure<T>(fn: () => T): Promise<Measurement<T>> {
    const op = 'measure';
    await this.sync();
    if (!this.device.features.has('timestamp-query')) {
      const result = fn();
      const start = performance.now();
      await this.sync();
      return { result, gpuMs: performance.now() - start, passes: [], method: 'submit-to-done' };
    }
    this.querySet ??= this.device.createQuerySet({ label: 'argpool measure', type: 'timestamp', count: 2 * MAX_TIMED_PASSES });
    const timer = { querySet: this.querySet, labels: [] as string[] };
    this.timer = timer;
    let result: T;
    try {
      result = fn();
    } finally {
      this.timer = null;
    }
    const count = timer.labels.length;
    if (count === 0) return { result, gpuMs: 0, passes: [], method: 'timestamp-query' };
    const bytes = count * 16;
    const resolved = this.pool.acquire({ label: 'measure resolve', size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    try {
      const mapped = await this.readBack(op, bytes, (encoder, staging) => {
        encoder.resolveQuerySet(timer.querySet, 0, 2 * count, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      });
      const stamps = new BigUint64Array(mapped);
      const passes = timer.labels.map((label, i) => ({ label, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 }));
      return { result, gpuMs: passes.reduce((sum, p) => sum + p.ms, 0), passes, method: 'timestamp-query' };
    } finally {
      this.pool.release(resolved);
    }
  }

  /** Releases every buffer this context holds; destroys the device if the context created it. */
  destroy(): void {
    if (this.disposed) return;
    this.flush();
    this.disposed = true;
    this.pool.destroy();
    this.querySet?.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  /** @internal */
  async readTensor(tensor: Tensor): Promise<ArrayBuffer> {
    const op = 'read';
    this.checkUsable(op);
    this.checkTensor(op, 'tensor', tensor);
    const faults = [...new Set(tensor.faults)];
    const bytes = tensor.byteLength;
    const mapped = await this.readBack(op, bytes + STATUS_BYTES * faults.length, (encoder, staging) => {
      encoder.copyBufferToBuffer(tensor.buffer, 0, staging, 0, bytes);
      faults.forEach((fault, i) => encoder.copyBufferToBuffer(fault.buffer, 0, staging, bytes + i * STATUS_BYTES, STATUS_BYTES));
    });
    faults.forEach((fault, i) => {
      const found = decodeStatus(new Uint32Array(mapped, bytes + i * STATUS_BYTES, 2));
      if (found) throw new RangeError(fault.describe(found.position, found.index));
    });
    return mapped.slice(0, bytes);
  }

  /**
   * Records copies into a MAP_READ staging buffer of `bytes` (with `record`), submits everything
   * pending, and resolves with a copy of the staging contents once the GPU is done. Rejects with the
   * loss reason if the device is lost, or with the GPU's error if the submitted commands were invalid.
   */
  private async readBack(op: string, bytes: number, record: (encoder: GPUCommandEncoder, staging: GPUBuffer) => void): Promise<ArrayBuffer> {
    const staging = this.pool.acquire({ label: `${op} staging`, size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    record(this.currentEncoder(), staging);
    const errors = this.flush();
    try {
      await this.untilLost(op, staging.mapAsync(MapMode.READ));
      await this.throwSubmitErrors(op, errors);
      return staging.getMappedRange(0, bytes).slice(0);
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      if (!this.disposed) this.pool.release(staging);
    }
  }

  /** @internal */
  releaseTensor(tensor: Tensor): void {
    if (this.disposed) return;
    if (tensor.owned) this.pool.release(tensor.buffer);
    for (const fault of tensor.faults) {
      if (--fault.refs === 0) this.pool.release(fault.buffer);
    }
    // With no commands recorded, nothing unsubmitted can still read the released buffers.
    if (!this.encoder) this.pool.submitted();
  }

  private pool_(base: string, input: Tensor, options: PoolOptions, rank?: SpatialRank): PoolResult {
    const op = opName(base, rank ?? input?.shape?.length - 2);
    this.checkUsable(op);
    this.checkTensor(op, 'input', input, 'float32');
    const geometry = resolvePoolGeometry(base, input.shape, options, rank);
    const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
    const bytes = product(outShape) * 4;
    this.checkBindingSize(op, 'input', input.byteLength);
    this.checkBindingSize(op, 'values', bytes);
    const values = this.allocateTensorBuffer(`${op} values`, bytes);
    const indices = this.allocateTensorBuffer(`${op} indices`, bytes);
    this.track(recordMaxPool(this.device, this.currentEncoder(), geometry, { input: input.buffer, values, indices }, this.recordOptions(op)));
    return {
      values: new Tensor(this, values, outShape, 'float32', true, input.faults),
      indices: new Tensor(this, indices, outShape, 'int32', true, input.faults, geometry),
    };
  }

  private unpool_(base: string, values: Tensor, indices: Tensor, options: UnpoolOptions, rank?: SpatialRank): Tensor<'float32'> {
    const op = opName(base, rank ?? values?.shape?.length - 2);
    this.checkUsable(op);
    this.checkTensor(op, 'values', values, 'float32');
    this.checkTensor(op, 'indices', indices, 'int32');
    const geometry = resolveUnpoolGeometry(base, values.shape, indices.shape, options, rank);
    const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
    const bytes = product(outShape) * 4;
    this.checkBindingSize(op, 'values', values.byteLength);
    this.checkBindingSize(op, 'output', bytes);
    const output = this.allocateTensorBuffer(`${op} output`, bytes);
    const outVolume = product(geometry.outSpatial);
    const fault = this.newFault(op, indices, geometry.layout, (index, where) => invalidIndex(op, index, where, outVolume));
    this.track(
      recordMaxUnpool(this.device, this.currentEncoder(), geometry, { values: values.buffer, indices: indices.buffer, output, status: fault.buffer }, this.recordOptions(op, indices)),
    );
    return new Tensor(this, output, outShape, 'float32', true, carriedFaults([values, indices], fault));
  }

  /**
   * A status buffer for a kernel that reads `indices`; reading any tensor that carries it reports the
   * first bad element with `message(index, logical coordinates)`.
   */
  private newFault(op: string, indices: Tensor, layout: Layout, message: (index: number, where: number[]) => string): FaultStatus {
    const buffer = this.pool.acquire({
      label: `${op} status`,
      size: STATUS_BYTES,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    const shape = indices.shape;
    return { buffer, refs: 0, describe: (position, index) => message(index, logicalCoordinates(shape, layout, position)) };
  }

  /** Record options for one operation; `indices` carry their provenance, if a pooling here made them. */
  private recordOptions(op: string, indices?: Tensor): RecordOptions {
    const options: RecordOptions = {
      allocate: (d: GPUBufferDescriptor) => this.pool.acquire(d),
      specialised: this.specialised,
      pooledBy: indices?.pooledBy,
    };
    const timer = this.timer;
    if (timer) {
      const pass = timer.labels.length;
      if (pass >= MAX_TIMED_PASSES) throw new RangeError(`measure: at most ${MAX_TIMED_PASSES} operations can be timed at once`);
      timer.labels.push(op);
      options.timestampWrites = { querySet: timer.querySet, beginningOfPassWriteIndex: 2 * pass, endOfPassWriteIndex: 2 * pass + 1 };
    }
    return options;
  }

  private track(recorded: Recorded): void {
    this.scratch.push(...recorded.scratch);
  }

  private currentEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'argpool batch' });
    return this.encoder;
  }

  private allocateTensorBuffer(label: string, bytes: number): GPUBuffer {
    return this.pool.acquire({
      label,
      size: bytes,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
  }

  private checkUsable(op: string): void {
    if (this.disposed) throw new Error(`${op}: this ArgPool has been destroyed`);
    if (this.lost) throw lostError(op, this.lost);
  }

  private checkTensor(op: string, argument: string, tensor: Tensor, dtype?: DType): void {
    if (!(tensor instanceof Tensor)) {
      throw new TypeError(`${op}: ${argument} must be a Tensor from this ArgPool, got ${describeValue(tensor)}`);
    }
    if (tensor.host !== this) throw new Error(`${op}: ${argument} belongs to another ArgPool`);
    if (tensor.destroyed) throw new Error(`${op}: ${argument} has been destroyed`);
    if (dtype && tensor.dtype !== dtype) {
      throw new TypeError(`${op}: ${argument} must be a ${dtype} tensor, got ${tensor.dtype}`);
    }
  }

  private checkBindingSize(op: string, argument: string, bytes: number): void {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bytes > limit) {
      const name = limit === this.device.limits.maxBufferSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
      throw new RangeError(`${op}: ${argument} needs ${bytes} bytes, more than this device's ${name} (${limit})`);
    }
  }

  /**
   * Waits for a GPU promise, failing with the loss reason if the device is lost first. A lost device
   * can also make the promise itself reject (mapAsync: "unmapped before mapping was resolved") before
   * `device.lost` settles, so a rejection waits briefly for the loss to name it.
   */
  private untilLost<T>(op: string, promise: Promise<T>): Promise<T> {
    const lost = this.lostPromise.then((info) => {
      throw lostError(op, info);
    });
    return Promise.race([promise, lost]).catch(async (error: unknown) => {
      const settle = new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS));
      await Promise.race([this.lostPromise, settle]);
      throw this.lost ? lostError(op, this.lost) : error;
    });
  }

  private async throwSubmitErrors(op: string, errors: Promise<GPUError | null>[]): Promise<void> {
    for (const error of await Promise.all(errors)) {
      if (error) throw new Error(`${op}: the GPU rejected argpool's commands: ${error.message}`);
    }
  }
}

/** The faults a result carries: those of the tensors it was computed from, and its own. */
function carriedFaults(inputs: Tensor[], own: FaultStatus): FaultStatus[] {
  return [...new Set([...inputs.flatMap((t) => t.faults), own])];
}

/** PyTorch's words for an index that names no element of its plane. */
function invalidIndex(op: string, index: number, where: number[], volume: number): string {
  return `${op}: Found an invalid max index ${index} at indices${show(where)} (output plane has ${volume} elements)`;
}

/** The pooling gradient's fault: an invalid index, or a valid one outside its own window. */
function poolBackwardFault(g: PoolGeometry, index: number, where: number[]): string {
  const volume = product(g.inSpatial);
  const [strideN, strideC, strideS] = indexStrides(g.indexFormat, g.layout, g.channels, volume);
  const rel = index - where[0] * strideN - where[1] * strideC;
  if (rel < 0 || rel % strideS !== 0 || rel / strideS >= volume) return invalidIndex(g.op, index, where, volume);
  return (
    `${g.op}: index ${index} at indices${show(where)} is not inside its pooling window ` +
    '(the gradient takes the indices maxPool returned for the same options)'
  );
}

function lostError(op: string, info: GPUDeviceLostInfo): Error {
  return new Error(`${op}: the GPU device was lost (${info.reason}): ${info.message}`);
}

function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${op}: shape must be an array of positive integers, got ${show(shape)}`);
  }
  return shape.slice();
}

/** BigInt64 indices (PyTorch, ONNX) narrowed to int32, refusing values that do not fit. */
export function narrowIndices(op: string, argument: string, data: BigInt64Array): Int32Array {
  const narrow = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > 2147483647n || v < -2147483648n) {
      throw new RangeError(`${op}: ${argument}[${i}] = ${v} does not fit int32`);
    }
    narrow[i] = Number(v);
  }
  return narrow;
}

/** The (n, c, spatial...) coordinates of a flat position in a tensor of the given layout. */
function logicalCoordinates(shape: readonly number[], layout: Layout, position: number): number[] {
  const coords: number[] = [];
  let rest = position;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  if (layout === 'NHWC') coords.splice(1, 0, coords.pop()!);
  return coords;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
