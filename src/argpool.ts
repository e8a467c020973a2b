/**
 * The tensor-level API. ArgPool is a thin front over its parts: the session (device, batching,
 * submission, reads: src/session.ts), faults (src/faults.ts), profiling (src/profiling.ts) and the
 * operations (src/operations.ts), which plan every call (src/plan.ts) before recording it.
 */
import { logicalCoordinates } from './faults.js';
import { decodeStatus } from './record.js';
import { resolveLaunchProfile, type LaunchProfile, type LaunchProfileName } from './launch.js';
import { float16ArrayConstructor, isFloat16Array, narrowToFloat16, type Float16ArrayType } from './float16.js';
import { checkTensor, describeValue, OPERATIONS, runOperation, type FloatOf, type IndexOf, type OperationHost, type PoolResult } from './operations.js';
import { product, show, type PoolBackwardOptions, type PoolOptions, type SpatialRank, type UnpoolOptions } from './options.js';
import { STATUS_BYTES } from './plan.js';
import { Profiler, type Measurement } from './profiling.js';
import { MAX_DISPATCHES_PER_SUBMIT, Session } from './session.js';
import { storageBytes, Tensor, type DType, type FloatDType, type IndexDType } from './tensor.js';
import { BufferUsage } from './webgpu_constants.js';

export type { Measurement } from './profiling.js';
export type { FloatOf, IndexOf, PoolResult, WindowPoolResult } from './operations.js';
export { MAX_DISPATCHES_PER_SUBMIT } from './session.js';
export { DEFAULT_MAX_IDLE_BYTES } from './buffer_pool.js';

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
  /**
   * Rows per invocation and workgroup counts: 'auto' (default) picks 'emulated' on fallback and
   * software adapters (SwiftShader and the like) and 'gpu' elsewhere, from `device.adapterInfo`;
   * naming a profile forces it. Results are identical either way. See src/launch.ts.
   */
  launchProfile?: LaunchProfileName | 'auto';
  /**
   * The most bytes of idle buffers kept for reuse on the device (default DEFAULT_MAX_IDLE_BYTES,
   * 128 MiB). Every context on a device, and the adapters, share one pool: setting this sets it for
   * the device. Buffers given back beyond it are destroyed, least recently used first.
   */
  maxPooledBytes?: number;
  /**
   * How float16 tensors are stored: 'auto' (default) uses array<f16> kernels where the device has the
   * 'shader-f16' feature, packed 32-bit words elsewhere; 'packed' forces the packed kernels (tests
   * cover both this way). Two bytes per element and the same results either way.
   */
  float16Storage?: 'auto' | 'packed';
}

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
  if (!adapter) throw new Error(noAdapterMessage(options.gpu !== undefined));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  // Timestamp queries for measurements, shader-f16 for float16 kernels on array<f16>, where offered.
  const requiredFeatures = (['timestamp-query', 'shader-f16'] as GPUFeatureName[]).filter((name) => adapter.features.has(name));
  const device = await adapter.requestDevice({ label: 'argpool', requiredLimits, requiredFeatures });
  // The `webgpu` package (Dawn in Node) frees its instance when the GPU object is collected, devices
  // included, and the process then crashes: keep the GPU and adapter as long as the device lives.
  keepAlive.set(device, { gpu, adapter });
  return device;
}

/** Why there is no adapter and what to install, for a browser and for Node on Dawn. */
function noAdapterMessage(outsideBrowser: boolean): string {
  if (!outsideBrowser) {
    return (
      'ArgPool.create: navigator.gpu.requestAdapter() returned no adapter: this browser has WebGPU but no ' +
      'usable GPU (blocklisted driver, disabled hardware acceleration, or a GPU process that failed). ' +
      'Check chrome://gpu; headless Chromium needs --enable-unsafe-webgpu and, without a GPU, --use-webgpu-adapter=swiftshader.'
    );
  }
  return (
    'ArgPool.create: the gpu object passed in (in Node: create([]) from the `webgpu` package, which is Dawn) found ' +
    'no adapter. Dawn needs a Vulkan loader (libvulkan.so.1; Debian/Ubuntu: apt-get install libvulkan1) and a ' +
    'Vulkan driver for your GPU (mesa-vulkan-drivers, or the vendor driver; on NVIDIA the proprietary driver ships ' +
    'one), Metal on macOS, or D3D12 on Windows. On a machine without a GPU, point the loader at SwiftShader, a CPU ' +
    'Vulkan driver (e.g. the one Chromium ships: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).'
  );
}

/** What a device created here must not outlive; a WeakMap, so a destroyed device is still collectable. */
const keepAlive = new WeakMap<GPUDevice, { gpu: GPU; adapter: GPUAdapter }>();

export class ArgPool {
  private readonly session: Session;
  private readonly profiler: Profiler;
  private readonly host: OperationHost;

  private constructor(
    readonly device: GPUDevice,
    private readonly ownsDevice: boolean,
    specialised: boolean,
    /** The launch shapes this context uses (see `ArgPoolCreateOptions.launchProfile`). */
    readonly launchProfile: LaunchProfile,
    float16: 'float16-packed' | 'float16-native',
  ) {
    this.session = new Session(device);
    this.profiler = new Profiler(this.session);
    this.host = { session: this.session, profiler: this.profiler, specialised, launch: launchProfile, owner: this, float16, calls: new Map() };
  }

  /**
   * A context on `options.device`, or on a new device. Contexts on one device share its executor
   * (src/executor.ts): one batch of recorded work, one buffer pool, one pipeline and plan cache.
   * Tensors still belong to the context that made them.
   */
  static async create(options: ArgPoolCreateOptions = {}): Promise<ArgPool> {
    const specialised = options.specialisedKernels ?? true;
    const maxPooledBytes = options.maxPooledBytes;
    if (maxPooledBytes !== undefined && !(typeof maxPooledBytes === 'number' && maxPooledBytes >= 0 && Number.isFinite(maxPooledBytes))) {
      throw new RangeError(`ArgPool.create: maxPooledBytes must be a finite number >= 0, got ${show(maxPooledBytes)}`);
    }
    const device = options.device ?? (await requestArgPoolDevice(options));
    try {
      const float16 = options.float16Storage !== 'packed' && device.features.has('shader-f16') ? 'float16-native' : 'float16-packed';
      const context = new ArgPool(device, !options.device, specialised, resolveLaunchProfile('ArgPool.create', device, options.launchProfile), float16);
      if (maxPooledBytes !== undefined) context.session.executor.pool.maxIdleBytes = maxPooledBytes;
      return context;
    } catch (error) {
      if (!options.device) device.destroy();
      throw error;
    }
  }

  /** Set when the device is lost; every later call, and every pending read, fails with its reason. */
  get lost(): GPUDeviceLostInfo | null {
    return this.session.lost;
  }

  /**
   * GPU buffers the device's pool has created, for this context and every other on the device
   * (pooled buffers are reused, so steady work stops adding).
   */
  get buffersCreated(): number {
    return this.session.executor.pool.created;
  }

  /** Bytes of idle buffers the device's pool holds for reuse now (at most `maxPooledBytes`). */
  get pooledBytes(): number {
    return this.session.executor.pool.idleBytes;
  }

  /** The cap on `pooledBytes` for the device (see `ArgPoolCreateOptions.maxPooledBytes`). */
  get maxPooledBytes(): number {
    return this.session.executor.pool.maxIdleBytes;
  }

  /**
   * Command buffers submitted on the device so far (by every context on it), including the automatic
   * submits every MAX_DISPATCHES_PER_SUBMIT dispatches.
   */
  get submissions(): number {
    return this.session.executor.submissions;
  }

  /** The most dispatches recorded before pending work is submitted without being asked. */
  static readonly maxDispatchesPerSubmit = MAX_DISPATCHES_PER_SUBMIT;

  /**
   * Uploads host data: Float32Array gives a float32 tensor, Int32Array or BigInt64Array an int32
   * tensor, Uint8Array a uint8 tensor ('window' indices, packed four to a 32-bit word). float16: a
   * Float16Array, or a Uint16Array of float16 bits with dtype 'float16' (stored as they are, two bytes
   * each), or a Float32Array with dtype 'float16' (each value rounded to nearest even float16).
   */
  tensor(data: Float32Array, shape: readonly number[], dtype?: 'float32'): Tensor<'float32'>;
  tensor(data: Uint16Array | Float16ArrayType | Float32Array, shape: readonly number[], dtype: 'float16'): Tensor<'float16'>;
  tensor(data: Float16ArrayType, shape: readonly number[]): Tensor<'float16'>;
  tensor(data: Int32Array | BigInt64Array, shape: readonly number[], dtype?: 'int32'): Tensor<'int32'>;
  tensor(data: Uint8Array, shape: readonly number[], dtype?: 'uint8'): Tensor<'uint8'>;
  tensor(data: Float32Array | Float16ArrayType | Uint16Array | Int32Array | BigInt64Array | Uint8Array, shape: readonly number[], dtype?: DType): Tensor {
    const op = 'tensor';
    this.session.checkUsable(op);
    const given: unknown = data;
    let words: Float32Array | Int32Array | Uint8Array | Uint16Array;
    let kind: DType;
    if (dtype !== undefined && !['float32', 'float16', 'int32', 'uint8'].includes(dtype)) {
      throw new TypeError(`${op}: dtype must be 'float32', 'float16', 'int32' or 'uint8', got ${show(dtype)}`);
    }
    if (dtype === 'float16' || isFloat16Array(given)) {
      const source = given as { buffer: ArrayBuffer; byteOffset: number; length: number };
      if (given instanceof Float32Array) words = narrowToFloat16(given);
      else if (given instanceof Uint16Array || isFloat16Array(given)) words = new Uint16Array(source.buffer, source.byteOffset, source.length);
      else throw new TypeError(`${op}: float16 data must be a Uint16Array of float16 bits, a Float16Array or a Float32Array, got ${describeValue(given)}`);
      // Whole words: writeBuffer and the kernels take multiples of 4 bytes.
      const padded = new Uint16Array(storageBytes('float16', words.length) / 2);
      padded.set(words);
      words = padded;
      kind = 'float16';
    } else if (given instanceof Uint8Array) {
      words = new Uint8Array(storageBytes('uint8', given.length));
      words.set(given);
      kind = 'uint8';
    } else if (given instanceof Float32Array) {
      words = given;
      kind = 'float32';
    } else if (given instanceof Int32Array) {
      words = given;
      kind = 'int32';
    } else if (given instanceof BigInt64Array) {
      words = narrowIndices(op, 'data', given);
      kind = 'int32';
    } else if (given instanceof Uint16Array) {
      throw new TypeError(`${op}: a Uint16Array is read as float16 bits only with dtype 'float16'`);
    } else {
      const f16 = float16ArrayConstructor() ? ', Float16Array' : '';
      throw new TypeError(`${op}: data must be a Float32Array${f16}, Uint16Array (float16 bits), Int32Array, BigInt64Array or Uint8Array, got ${describeValue(given)}`);
    }
    if (dtype !== undefined && dtype !== kind) {
      throw new TypeError(`${op}: data ${describeValue(given)} does not hold dtype '${dtype}'`);
    }
    const length = (given as { length: number }).length;
    const dims = checkShape(op, shape);
    if (product(dims) !== length) {
      throw new RangeError(`${op}: data has ${length} elements but shape ${show(dims)} needs ${product(dims)}`);
    }
    this.checkBindingSize(op, 'data', words.byteLength);
    const buffer = this.session.allocateStorage(`tensor ${show(dims)}`, words.byteLength);
    this.device.queue.writeBuffer(buffer, 0, words as Int32Array<ArrayBuffer>);
    const tensor = new Tensor(this, buffer, dims, kind, true);
    this.session.hold(tensor);
    return tensor;
  }

  /**
   * Wraps a caller-owned buffer without copying. Its contents are read when work is submitted.
   * float16: two bytes per element, element i in half i % 2 (least significant first) of word i / 2.
   */
  fromBuffer<D extends DType>(buffer: GPUBuffer, shape: readonly number[], dtype: D): Tensor<D> {
    const op = 'fromBuffer';
    this.session.checkUsable(op);
    if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int32' && dtype !== 'uint8') {
      throw new TypeError(`${op}: dtype must be 'float32', 'float16', 'int32' or 'uint8', got ${show(dtype)}`);
    }
    const dims = checkShape(op, shape);
    const bytes = storageBytes(dtype, product(dims));
    if (buffer.size < bytes) {
      throw new RangeError(`${op}: buffer holds ${buffer.size} bytes but shape ${show(dims)} of ${dtype} needs ${bytes}`);
    }
    const needed = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
    if ((buffer.usage & needed) !== needed) {
      throw new TypeError(`${op}: buffer needs STORAGE and COPY_SRC usage, got usage ${buffer.usage}`);
    }
    return new Tensor(this, buffer, dims, dtype, false);
  }

  /**
   * How this context stores float16 tensors: 'float16-native' (array<f16> kernels) where the device
   * has 'shader-f16' and `float16Storage` is 'auto', else 'float16-packed' (two per 32-bit word).
   * Both store two bytes per element and give the same bits.
   */
  get float16Storage(): 'float16-native' | 'float16-packed' {
    return this.host.float16;
  }

  /**
   * Max pooling with indices. Values keep the input's dtype (float32 or float16); indices are int32,
   * or uint8 taps for indexFormat 'window' (typed so from the options' type: `Tensor<'int32' |
   * 'uint8'>` when it does not say which).
   */
  maxPool<T extends Tensor, O extends PoolOptions>(input: T, options: O): PoolResult<IndexOf<O>, FloatOf<T>> {
    return this.pool(input, options) as PoolResult<IndexOf<O>, FloatOf<T>>;
  }
  maxPool1d<T extends Tensor, O extends PoolOptions>(input: T, options: O): PoolResult<IndexOf<O>, FloatOf<T>> {
    return this.pool(input, options, 1) as PoolResult<IndexOf<O>, FloatOf<T>>;
  }
  maxPool2d<T extends Tensor, O extends PoolOptions>(input: T, options: O): PoolResult<IndexOf<O>, FloatOf<T>> {
    return this.pool(input, options, 2) as PoolResult<IndexOf<O>, FloatOf<T>>;
  }
  maxPool3d<T extends Tensor, O extends PoolOptions>(input: T, options: O): PoolResult<IndexOf<O>, FloatOf<T>> {
    return this.pool(input, options, 3) as PoolResult<IndexOf<O>, FloatOf<T>>;
  }

  /** Max unpooling; the result has the dtype of `values`. */
  maxUnpool<T extends Tensor>(values: T, indices: Tensor, options: UnpoolOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxUnpool, 'maxUnpool', [values, indices], options)[0] as Tensor<FloatOf<T>>;
  }
  maxUnpool1d<T extends Tensor>(values: T, indices: Tensor, options: UnpoolOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxUnpool, 'maxUnpool', [values, indices], options, 1)[0] as Tensor<FloatOf<T>>;
  }
  maxUnpool2d<T extends Tensor>(values: T, indices: Tensor, options: UnpoolOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxUnpool, 'maxUnpool', [values, indices], options, 2)[0] as Tensor<FloatOf<T>>;
  }
  maxUnpool3d<T extends Tensor>(values: T, indices: Tensor, options: UnpoolOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxUnpool, 'maxUnpool', [values, indices], options, 3)[0] as Tensor<FloatOf<T>>;
  }

  /**
   * Gradient of max pooling with respect to its input: each input element receives the sum of the
   * gradients of every output that chose it (overlapping windows can choose one element twice), in
   * a fixed order, so every run gives the same bits. `indices` are those maxPool returned for the
   * same options; an index outside its window makes the result's read reject. float16 gradients are
   * summed in float32 and each sum is rounded once to float16; the result has gradOutput's dtype.
   */
  maxPoolBackward<T extends Tensor>(gradOutput: T, indices: Tensor, options: PoolBackwardOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxPoolBackward, 'maxPoolBackward', [gradOutput, indices], options)[0] as Tensor<FloatOf<T>>;
  }

  /**
   * Gradient of max unpooling with respect to the pooled values: the output gradient at each index's
   * position. The result has the shape of `indices` and the dtype of `gradOutput`.
   */
  maxUnpoolBackward<T extends Tensor>(gradOutput: T, indices: Tensor, options: UnpoolOptions): Tensor<FloatOf<T>> {
    return runOperation(this.host, OPERATIONS.maxUnpoolBackward, 'maxUnpoolBackward', [gradOutput, indices], options)[0] as Tensor<FloatOf<T>>;
  }

  private pool(input: Tensor, options: PoolOptions, rank?: SpatialRank): PoolResult<IndexDType, FloatDType> {
    const [values, indices] = runOperation(this.host, OPERATIONS.maxPool, 'maxPool', [input], options, rank);
    return { values, indices } as PoolResult<IndexDType, FloatDType>;
  }

  /** Submits pending work and resolves when the GPU has finished it. */
  async sync(): Promise<void> {
    this.session.checkUsable('sync');
    await this.session.sync('sync');
  }

  /**
   * Submits pending work without waiting for it. Returns the error scopes (validation, out of memory)
   * of the work submitted since the last read; the next read or `sync()` reports them otherwise.
   */
  flush(): Promise<GPUError | null>[] {
    return this.session.flush();
  }

  /**
   * Runs `fn`, which records operations, and measures their GPU time: with timestamp queries around
   * each operation's compute pass when the device has 'timestamp-query', else as the wall time from
   * submitting the work to its completion. Pending work is finished first so it is not counted.
   */
  measure<T>(fn: () => T): Promise<Measurement<T>> {
    return this.profiler.measure(fn, () => this.sync());
  }

  /**
   * Submits pending work and gives back every buffer this context's tensors hold (other contexts on
   * the device keep theirs); destroys the device if the context created it.
   */
  destroy(): void {
    if (this.session.disposed) return;
    this.session.destroy();
    this.profiler.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  /** @internal */
  async readTensor(tensor: Tensor): Promise<ArrayBuffer> {
    const op = 'read';
    this.session.checkUsable(op);
    checkTensor(this.host, op, 'tensor', tensor);
    const faults = [...new Set(tensor.faults)];
    const bytes = tensor.byteLength;
    const mapped = await this.session.readBack(op, bytes + STATUS_BYTES * faults.length, (encoder, staging) => {
      encoder.copyBufferToBuffer(tensor.buffer, 0, staging, 0, bytes);
      faults.forEach((fault, i) => encoder.copyBufferToBuffer(fault.buffer, fault.offset, staging, bytes + i * STATUS_BYTES, STATUS_BYTES));
    });
    faults.forEach((fault, i) => {
      const found = decodeStatus(new Uint32Array(mapped, bytes + i * STATUS_BYTES, 2));
      if (found) throw new RangeError(fault.message(found.index, logicalCoordinates(fault.shape, fault.layout, found.position)));
    });
    return mapped.slice(0, bytes);
  }

  /** @internal */
  releaseTensor(tensor: Tensor): void {
    if (tensor.owned) this.session.release(tensor);
    for (const fault of tensor.faults) {
      if (--fault.refs === 0) this.session.releaseFault(fault);
    }
  }

  private checkBindingSize(op: string, argument: string, bytes: number): void {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bytes > limit) {
      const name = limit === this.device.limits.maxBufferSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
      throw new RangeError(`${op}: ${argument} needs ${bytes} bytes, more than this device's ${name} (${limit})`);
    }
  }
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
