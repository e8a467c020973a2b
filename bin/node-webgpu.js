// WebGPU in Node for `npx argpool run`: the `webgpu` package (Dawn) as `navigator.gpu` and the
// WebGPU globals, so that ONNX Runtime Web's WebGPU provider and TensorFlow.js's webgpu backend,
// written for browsers, find a GPU. ORT Web's WebGPU provider needs one adjustment on Dawn in Node
// (seen with onnxruntime-web 1.31.1 and webgpu 0.6.2; not needed in a browser): ORT's wasm memory
// is a SharedArrayBuffer, and Dawn's `queue.writeBuffer` refuses a view of one ("Invalid argument"
// on ORT's first upload), so such data is copied into a plain ArrayBuffer first.
//
// Creating ORT's sessions is slow on SwiftShader in Node (about 100 s for the trained SegNet, most of
// it one `createComputePipelineAsync` that settles a minute or more after a synchronous build of the
// same pipeline would finish). Building pipelines synchronously instead was tried: creation took
// 6-30 s, but the first run then took 3 to 10 times longer (180-450 s against 43 s), so it is not done.

/**
 * Installs the `webgpu` module's GPU as `navigator.gpu` (with `create(args)`) and its globals;
 * returns the GPU object.
 */
export function installNodeWebGpu(webgpu, args = []) {
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create(args);
  if (globalThis.navigator) Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });

  const queue = globalThis.GPUQueue?.prototype;
  if (queue && !queue.writeBuffer.argpoolCopiesShared) {
    const writeBuffer = queue.writeBuffer;
    const copying = function (buffer, offset, data, dataOffset, size) {
      if (ArrayBuffer.isView(data) && typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer) {
        const unit = data.BYTES_PER_ELEMENT ?? 1;
        const start = data.byteOffset + (dataOffset ?? 0) * unit;
        const length = size === undefined ? data.byteLength - (dataOffset ?? 0) * unit : size * unit;
        const copy = new Uint8Array(length);
        copy.set(new Uint8Array(data.buffer, start, length));
        return writeBuffer.call(this, buffer, offset, copy);
      }
      return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
    };
    copying.argpoolCopiesShared = true;
    queue.writeBuffer = copying;
  }
  return gpu;
}
