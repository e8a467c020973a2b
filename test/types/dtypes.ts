/**
 * Type-level test, checked by `npx tsc --noEmit -p .` (never run): the declared types follow the
 * dtypes. Each `@ts-expect-error` line is a wrong use that must fail to compile; if it compiled,
 * tsc would report the unused directive.
 */
import type { ArgPool, DType, FloatDType, PoolOptions, Tensor, TypedArrayFor, WindowIndexOptions } from '../../src/index';
import { cpu } from '../../src/index';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
declare function assertType<T extends true>(): void;
declare function takesInt32(data: Int32Array): void;
declare function takesUint8(data: Uint8Array): void;
declare function takesFloat32(data: Float32Array): void;
declare function takesFloat16Tensor(t: Tensor<'float16'>): void;

declare const ap: ArgPool;
declare const x32: Tensor<'float32'>;
declare const x16: Tensor<'float16'>;
declare const loose: Tensor;
declare const buffer: GPUBuffer;
declare const poolOptions: PoolOptions;
declare const windowOptions: PoolOptions & WindowIndexOptions;

export async function dtypes(): Promise<void> {
  // float32 pooling: float32 values, int32 indices unless indexFormat says 'window'.
  const a = ap.maxPool2d(x32, { kernelSize: 2 });
  assertType<Equal<typeof a.values, Tensor<'float32'>>>();
  assertType<Equal<typeof a.indices, Tensor<'int32'>>>();
  takesInt32(await a.indices.read());
  takesFloat32(await a.values.read());
  const spatial = ap.maxPool(x32, { kernelSize: 2, indexFormat: 'flat' });
  assertType<Equal<typeof spatial.indices, Tensor<'int32'>>>();

  // 'window' taps are uint8, whether the options are a literal or typed as the exported option types.
  const w = ap.maxPool(x32, { kernelSize: 2, indexFormat: 'window' });
  assertType<Equal<typeof w.indices, Tensor<'uint8'>>>();
  takesUint8(await w.indices.read());
  // @ts-expect-error 'window' indices read as a Uint8Array, not an Int32Array
  takesInt32(await w.indices.read());
  const typed = ap.maxPool3d(x32, windowOptions);
  assertType<Equal<typeof typed.indices, Tensor<'uint8'>>>();
  // Options typed as PoolOptions may say 'window': the indices may be either.
  const either = ap.maxPool(x32, poolOptions);
  assertType<Equal<typeof either.indices, Tensor<'int32' | 'uint8'>>>();
  assertType<Equal<Awaited<ReturnType<typeof either.indices.read>>, Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>>();
  // @ts-expect-error they may be uint8 taps
  takesInt32(await either.indices.read());

  // float16 flows through every operation.
  const h = ap.maxPool(x16, { kernelSize: 2 });
  assertType<Equal<typeof h.values, Tensor<'float16'>>>();
  assertType<Equal<typeof h.indices, Tensor<'int32'>>>();
  takesFloat16Tensor(ap.maxUnpool(h.values, h.indices, { kernelSize: 2 }));
  takesFloat16Tensor(ap.maxPoolBackward(h.values, h.indices, { kernelSize: 2, inputShape: [1, 1, 4, 4] }));
  takesFloat16Tensor(ap.maxUnpoolBackward(x16, h.indices, { kernelSize: 2 }));
  // @ts-expect-error float32 results are not float16 tensors
  takesFloat16Tensor(ap.maxUnpool(x32, h.indices, { kernelSize: 2 }));
  // read(): a Float16Array where the runtime has one, so not declared a Float32Array.
  // @ts-expect-error it may be a Float16Array
  takesFloat32(await h.values.read());
  const read = await h.values.read();
  if (read instanceof Float32Array) takesFloat32(read);
  assertType<Equal<Awaited<ReturnType<Tensor<'float16'>['readFloat16Bits']>>, Uint16Array<ArrayBuffer>>>();

  // A tensor whose dtype the type does not say gives values of either float dtype.
  assertType<Equal<ReturnType<typeof ap.maxUnpool<typeof loose>>, Tensor<FloatDType>>>();
  assertType<Equal<TypedArrayFor<DType>, TypedArrayFor<'float32'> | TypedArrayFor<'float16'> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>>();

  // Uploads.
  takesFloat16Tensor(ap.tensor(new Uint16Array(4), [4], 'float16'));
  takesFloat16Tensor(ap.tensor(new Float32Array(4), [4], 'float16'));
  takesFloat16Tensor(ap.fromBuffer(buffer, [4], 'float16'));
  // @ts-expect-error a Uint16Array is float16 bits only with dtype 'float16'
  ap.tensor(new Uint16Array(4), [4]);
  // @ts-expect-error int32 data is not float16
  ap.tensor(new Int32Array(4), [4], 'float16');
  // @ts-expect-error float32 data is not int32
  ap.tensor(new Float32Array(4), [4], 'int32');
  // @ts-expect-error no such dtype
  ap.fromBuffer(buffer, [4], 'float64');

  // The CPU reference: float16 bits in, float16 bits out; 'window' taps as Uint8Array.
  const c = cpu.maxPool({ data: new Uint16Array(4), shape: [1, 1, 4] }, { kernelSize: 2 });
  assertType<Equal<typeof c.values.data, Uint16Array<ArrayBuffer>>>();
  assertType<Equal<typeof c.indices.data, Int32Array<ArrayBuffer>>>();
  const cw = cpu.maxPool1d({ data: new Float32Array(4), shape: [1, 1, 4] }, { kernelSize: 2, indexFormat: 'window' });
  assertType<Equal<typeof cw.values.data, Float32Array<ArrayBuffer>>>();
  assertType<Equal<typeof cw.indices.data, Uint8Array<ArrayBuffer>>>();
  const cu = cpu.maxUnpool1d(c.values, c.indices, { kernelSize: 2 });
  assertType<Equal<typeof cu.data, Uint16Array<ArrayBuffer>>>();
  // @ts-expect-error float16 results are bits, not float32
  takesFloat32(cpu.maxPoolBackward({ data: new Uint16Array(2), shape: [1, 1, 2] }, c.indices, { kernelSize: 2, inputShape: [1, 1, 4] }).data);
  // @ts-expect-error Int16Array is no float data
  cpu.maxPool({ data: new Int16Array(4), shape: [1, 1, 4] }, { kernelSize: 2 });
}
