import type { PoolGeometry } from './options.js';

/** Element types: float32 values, int32 indices, and uint8 'window' indices (packed four to a 32-bit word). */
export type DType = 'float32' | 'int32' | 'uint8';
export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : D extends 'uint8' ? Uint8Array : Float32Array;

/**
 * Bytes a tensor of `size` elements of `dtype` takes in GPU memory (uint8: one byte each, rounded up
 * to whole 16-byte blocks, which the kernels read as vec4s of 32-bit words).
 */
export function storageBytes(dtype: DType, size: number): number {
  return dtype === 'uint8' ? Math.ceil(size / 16) * 16 : size * 4;
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
  /** Turns a bad element's flat position and index into the error message. */
  describe(position: number, index: number): string;
}

/** What a tensor's owner does for it; implemented by ArgPool. */
export interface TensorHost {
  readTensor(tensor: Tensor): Promise<ArrayBuffer>;
  releaseTensor(tensor: Tensor): void;
}

/** A float32, int32 or uint8 tensor on the GPU. Create it with `ArgPool.tensor` or `ArgPool.fromBuffer`. */
export class Tensor<D extends DType = DType> {
  private alive = true;

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
  ) {
    Object.freeze(this.shape);
    for (const fault of faults) fault.refs++;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Bytes in GPU memory: 4 per element, or 1 per element rounded up to a multiple of 16 for uint8. */
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
    return (this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes)) as TypedArrayFor<D>;
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
