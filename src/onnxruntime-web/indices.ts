/**
 * Index conversions between argpool (int32, 'flat') and ONNX graphs (int64, optionally column-major),
 * recorded into a caller's encoder, and the small buffer pool the adapter keeps for them.
 */
import widenWgsl from '../../shaders/onnx_indices_widen.wgsl?raw';
import narrowWgsl from '../../shaders/onnx_indices_narrow.wgsl?raw';
import { dispatchGrid } from '../dispatch.js';
import { WORKGROUP_SIZE } from '../kernels.js';

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipeline(device: GPUDevice, name: string, code: string, constants: Record<string, number>): GPUComputePipeline {
  let perDevice = pipelines.get(device);
  if (!perDevice) {
    perDevice = new Map();
    pipelines.set(device, perDevice);
  }
  const key = `${name}|${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
  let found = perDevice.get(key);
  if (!found) {
    const module = device.createShaderModule({ label: name, code });
    found = device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: 'main', constants } });
    perDevice.set(key, found);
  }
  return found;
}

/** Bytes rounded up to ORT's 16-byte rule for buffers it takes with `Tensor.fromGpuBuffer`. */
export function paddedBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/**
 * Buffers for converted indices and copies, reused by size. A buffer given back is handed out again
 * only after `submitted()`: commands already recorded may still read it, and only a later submit is
 * ordered after them on the queue.
 */
export class ScratchBuffers {
  private readonly free = new Map<number, GPUBuffer[]>();
  private retiring: GPUBuffer[] = [];
  private readonly all = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /** STORAGE | COPY_SRC | COPY_DST, the usage ORT and argpool both accept, size padded to 16 bytes. */
  acquire(label: string, bytes: number): GPUBuffer {
    const size = paddedBytes(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused) return reused;
    const buffer = this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.all.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.retiring.push(buffer);
  }

  /** Forget a buffer handed to the caller for good (the caller destroys it). */
  detach(buffer: GPUBuffer): void {
    this.all.delete(buffer);
  }

  submitted(): void {
    for (const buffer of this.retiring) {
      if (!this.all.has(buffer)) continue;
      let list = this.free.get(buffer.size);
      if (!list) {
        list = [];
        this.free.set(buffer.size, list);
      }
      list.push(buffer);
    }
    this.retiring = [];
  }

  destroy(): void {
    for (const buffer of this.all) buffer.destroy();
    this.all.clear();
    this.free.clear();
    this.retiring = [];
  }
}

/**
 * Records onnx_indices_widen.wgsl: `count` int32 flat indices of a pooling whose input has the
 * spatial size `inSpatial` become int64, column-major in the spatial part when `columnMajor`.
 * Returns the params buffer, to be released after the submit.
 */
export function recordWiden(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  indices: GPUBuffer,
  wide: GPUBuffer,
  count: number,
  inSpatial: readonly number[],
  columnMajor: boolean,
): GPUBuffer {
  const dhw = [1, 1, 1, ...inSpatial].slice(-3);
  const params = paramsBuffer(device, 'onnx indices widen params', new Uint32Array([count, ...dhw]));
  const pipe = pipeline(device, 'onnx_indices_widen.wgsl', widenWgsl, { WORKGROUP_SIZE, COLUMN_MAJOR: columnMajor ? 1 : 0 });
  record(device, encoder, pipe, 'onnx indices widen', [params, indices, wide], count);
  return params;
}

/** Records onnx_indices_narrow.wgsl: `count` int64 indices become int32 (-1 where they do not fit). */
export function recordNarrow(device: GPUDevice, encoder: GPUCommandEncoder, wide: GPUBuffer, indices: GPUBuffer, count: number): GPUBuffer {
  const params = paramsBuffer(device, 'onnx indices narrow params', new Uint32Array([count, 0, 0, 0]));
  const pipe = pipeline(device, 'onnx_indices_narrow.wgsl', narrowWgsl, { WORKGROUP_SIZE });
  record(device, encoder, pipe, 'onnx indices narrow', [params, wide, indices], count);
  return params;
}

function paramsBuffer(device: GPUDevice, label: string, words: Uint32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({ label, size: words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, words);
  return buffer;
}

function record(device: GPUDevice, encoder: GPUCommandEncoder, pipe: GPUComputePipeline, label: string, buffers: GPUBuffer[], count: number): void {
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipe);
  pass.setBindGroup(0, device.createBindGroup({ label, layout: pipe.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }));
  pass.dispatchWorkgroups(...dispatchGrid(count, WORKGROUP_SIZE, device.limits.maxComputeWorkgroupsPerDimension, label));
  pass.end();
}

/** Copies `bytes` of a buffer to the CPU (after everything submitted before it). */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.ceil(bytes / 4) * 4;
  const staging = device.createBuffer({ label: 'onnx readback', size: Math.max(4, size), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder({ label: 'onnx readback' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange(0, size).slice(0, bytes);
  } finally {
    staging.destroy();
  }
}
