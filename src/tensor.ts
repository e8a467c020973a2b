import { float16ArrayConstructor, widenFloat16, type Float16ArrayType } from './float16.js';
import type { PoolGeometry } from './options.js';

/**
 * Element types: float32 and float16 values (float16 two to a 32-bit word), int32 indices, and uint8
 * 'window' indices (packed four to a 32-bit word).
 */
export type DType = 'float32' | 'float16' | 'int32' | 'uint8';

/** The dtypes of values and gradients. */
export type FloatDType = 'float32' | 'float16';

/** The dtypes of indices: int32, or uint8 for indexFormat 'window'. */
export type IndexDType = 'int32' | 'uint8';

/**
 * What a Float16Array offers, for TypeScript setups whose lib declares none (before ES2025): reading
 * a float16 tensor gives a Float16Array where the runtime has one, and these are the parts of it that
 * every such setup can name.
 */
export interface Float16ArrayLike extends ArrayLike<number>, Iterable<number> {
  readonly BYTES_PER_ELEMENT: 2;
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** The runtime's Float16Array where the TypeScript lib declares one, else `Float16ArrayLike`. */
export type Float16ArrayOrLike = [Float16ArrayType] extends [never] ? Float16ArrayLike : Float16ArrayType;

/**
 * What `read()` gives for a dtype. float16: a Float16Array where the runtime has one, else the values
 * widened (exactly) to a Float32Array; tell them apart with `instanceof Float32Array`.
 */
export type TypedArrayFor<D extends DType> = D extends 'int32'
  ? Int32Array<ArrayBuffer>
  : D extends 'uint8'
    ? Uint8Array<ArrayBuffer>
    : D extends 'float16'
      ? Float16ArrayOrLike | Float32Array<ArrayBuffer>
      : Float32Array<ArrayBuffer>;

/**
 * Bytes a tensor of `size` elements of `dtype` takes in GPU memory (float16: two bytes each, in
 * whole 32-bit words; uint8: one byte each, rounded up to whole 16-byte blocks, which the kernels read
 * as vec4s of 32-bit words).
 */
export function storageBytes(dtype: DType, size: number): number {
  if (dtype === 'uint8') return Math.ceil(size / 16) * 16;
  if (dtype === 'float16') return Math.ceil(size / 2) * 4;
  return size * 4;
}

/**
 * A fault status that a kernel wrote for some tensor: tensors computed from it carry it too, so
 * reading any of them reports the fault. Shared by reference count; the buffer returns to the pool
 * when the last tensor that carries it is destroyed.
 */
export interface FaultStatus {
  /** The fault arena page and the slot's byte offset in it. */
  buffer: GPUBuffer;
  offset: number;
  refs: number;
  /** The message of a bad index at logical coordinates `where` of the indices tensor. */
  message: (index: number, where: number[]) => string;
  /** The indices tensor's shape and layout, to turn a flat position into coordinates. */
  shape: readonly number[];
  layout: 'NCHW' | 'NHWC';
  /** Its place among its context's fault statuses. */
  heldAt: number;
}

/** What a tensor's owner does for it; implemented by ArgPool. */
export interface TensorHost {
  readTensor(tensor: Tensor): Promise<ArrayBuffer>;
  releaseTensor(tensor: Tensor): void;
}

/** A float32, int32 or uint8 tensor on the GPU. Create it with `ArgPool.tensor` or `ArgPool.fromBuffer`. */
export class Tensor<D extends DType = DType> {
  private alive = true;
  /** @internal Its place among its context's tensors (-1: not held). */
  heldAt = -1;

  /** @internal */
  constructor(
    /** @internal */ readonly host: TensorHost,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: D,
    /** @internal Whether destroy() gives the buffer back (false for caller-owned buffers). */
    readonly owned: boolean,
    /** @internal */ readonly faults: readonly FaultStatus[] = [],
    /** @internal For indices: the pooling that produced them, so unpooling may take its fast path. */
    readonly pooledBy?: PoolGeometry,
    /** @internal For indices from a pooling: the dtype of the values it pooled (mixed float dtypes are refused). */
    readonly pooledDType?: FloatDType,
  ) {
    Object.freeze(this.shape);
    for (const fault of faults) fault.refs++;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Bytes in GPU memory (see `storageBytes`): 4 per element; float16 2, in whole words; uint8 1, in whole 16-byte blocks. */
  get byteLength(): number {
    return storageBytes(this.dtype, this.size);
  }

  get destroyed(): boolean {
    return !this.alive;
  }

  /**
   * Submits pending work and resolves with a copy of the contents. Rejects when an index-reading
   * kernel that this tensor depends on found an invalid index, or when the device is lost.
   */
  async read(): Promise<TypedArrayFor<D>> {
    const bytes = await this.host.readTensor(this);
    if (this.dtype === 'uint8') return new Uint8Array(bytes, 0, this.size) as TypedArrayFor<D>;
    if (this.dtype === 'float16') {
      const Float16 = float16ArrayConstructor();
      const data = Float16 ? new Float16(bytes, 0, this.size) : widenFloat16(new Uint16Array(bytes, 0, this.size));
      return data as TypedArrayFor<D>;
    }
    return (this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes)) as TypedArrayFor<D>;
  }

  /** Reads a float16 tensor's bits, as a Uint16Array (bit for bit, whatever the runtime offers). */
  async readFloat16Bits(): Promise<Uint16Array<ArrayBuffer>> {
    if (this.dtype !== 'float16') {
      throw new TypeError(`readFloat16Bits: tensor dtype must be 'float16', got '${this.dtype}'`);
    }
    return new Uint16Array(await this.host.readTensor(this), 0, this.size);
  }

  /** Reads an int32 tensor widened to int64, the index type of PyTorch and ONNX. */
  async readBigInt64(): Promise<BigInt64Array> {
    if (this.dtype !== 'int32') {
      throw new TypeError(`readBigInt64: tensor dtype must be 'int32', got '${this.dtype}'`);
    }
    const data = new Int32Array(await this.host.readTensor(this));
    const wide = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) wide[i] = BigInt(data[i]);
    return wide;
  }

  /** Gives the GPU memory back. Later use of the tensor throws; pending work that reads it is unaffected. */
  destroy(): void {
    if (!this.alive) return;
    this.alive = false;
    this.host.releaseTensor(this);
  }
}
