/**
 * NumPy's .npy format (versions 1 to 3), read for model inputs: `np.save('image.npy', x)`. Only
 * little-endian (or byte-sized) numeric dtypes in C order. The header is bounded and the data must
 * be exactly as long as the shape says, before anything is copied.
 */
import { elementCount } from './limits.js';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Int16Array;

export interface NpyArray {
  /** ORT's names: 'float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool', 'float16' (bits), 'int16', 'uint16'. */
  dtype: string;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 65536;

const DTYPES: Record<string, { dtype: string; bytes: number; make: (buffer: ArrayBuffer) => NpyData }> = {
  f4: { dtype: 'float32', bytes: 4, make: (b) => new Float32Array(b) },
  f8: { dtype: 'float64', bytes: 8, make: (b) => new Float64Array(b) },
  f2: { dtype: 'float16', bytes: 2, make: (b) => new Uint16Array(b) },
  i4: { dtype: 'int32', bytes: 4, make: (b) => new Int32Array(b) },
  i8: { dtype: 'int64', bytes: 8, make: (b) => new BigInt64Array(b) },
  i2: { dtype: 'int16', bytes: 2, make: (b) => new Int16Array(b) },
  u2: { dtype: 'uint16', bytes: 2, make: (b) => new Uint16Array(b) },
  u1: { dtype: 'uint8', bytes: 1, make: (b) => new Uint8Array(b) },
  i1: { dtype: 'int8', bytes: 1, make: (b) => new Int8Array(b) },
  b1: { dtype: 'bool', bytes: 1, make: (b) => new Uint8Array(b) },
};

/** Reads an .npy file; `name` goes into the error messages. */
export function readNpy(bytes: Uint8Array, name = 'the .npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name} is not an .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new Error(`${name}: .npy version ${major}.${bytes[7]} is not one this reader knows (1 to 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (headerLength > MAX_HEADER || start + headerLength > bytes.length) throw new Error(`${name}: its header length ${headerLength} runs past the file or over ${MAX_HEADER} bytes`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) throw new Error(`${name}: its header is not a NumPy array header: ${JSON.stringify(header.trim())}`);
  const [, order, code] = descr;
  const type = DTYPES[code];
  if (!type) throw new Error(`${name}: dtype ${JSON.stringify(order + code)} is not one this reader takes (float16/32/64, int8/16/32/64, uint8/16, bool)`);
  if (order === '>' && type.bytes > 1) throw new Error(`${name}: dtype ${order}${code} is big-endian; save it little-endian (x.astype('<${code}'))`);
  if (fortran[1] === 'True') throw new Error(`${name}: the array is in Fortran order; save it in C order (np.ascontiguousarray(x))`);
  const parts = shapeText[1].split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p))) throw new Error(`${name}: shape (${shapeText[1]}) is not a list of sizes`);
  const shape = parts.map(Number);
  const dataStart = start + headerLength;
  const expected = elementCount(shape) * BigInt(type.bytes);
  if (BigInt(bytes.length - dataStart) !== expected) {
    throw new Error(`${name}: shape (${shape.join(', ')}) of ${type.dtype} needs ${expected} bytes of data, the file holds ${bytes.length - dataStart}`);
  }
  const copy = bytes.slice(dataStart).buffer;
  return { dtype: type.dtype, shape, data: type.make(copy) };
}
