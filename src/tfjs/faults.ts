/**
 * Index faults on the webgpu backend. tfjs ops are synchronous and the GPU finds a bad index only
 * when the work runs, so each kernel that reads indices (unpooling and both gradients) writes a small
 * status buffer, kept here until the caller asks: `await checkIndices()` reads every status recorded
 * since the last check and rejects with the first fault, in the words the `cpu` backend throws at
 * once. A program that never asks loses nothing either: past `PENDING_MAX` statuses, the oldest are
 * read in the background and the first fault they hold is kept for the next check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeStatus, logicalCoordinates, STATUS_BYTES } from '../low-level.js';
import type { WebGPUBackendLike } from './backends.js';

/** GPUBufferUsage STORAGE | COPY_SRC | COPY_DST, spelled out: some TypeScript setups lack the global. */
export const STATUS_USAGE = 0x80 | 0x04 | 0x08;
const MAP_READ_COPY_DST = 0x0001 | 0x0008;
const MAP_READ_MODE = 0x0001;

/** Unchecked statuses per device before the oldest are read in the background. */
export const PENDING_MAX = 256;

interface Pending {
  status: GPUBuffer;
  /** The message for a bad index `index` at flat position `position` of the indices tensor. */
  describe: (position: number, index: number) => string;
}

interface DeviceFaults {
  pending: Pending[];
  /** Background reads of older statuses: each resolves to the first fault's message, or null. */
  reads: Promise<string | null>[];
}

const byDevice = new WeakMap<GPUDevice, DeviceFaults>();

function faultsOf(device: GPUDevice): DeviceFaults {
  let faults = byDevice.get(device);
  if (!faults) byDevice.set(device, (faults = { pending: [], reads: [] }));
  return faults;
}

/**
 * A status buffer for one kernel that reads `indices` (shape `indicesShape`, channels-last when
 * `layout` is 'NHWC'); a fault it records is reported as `${op}: Found an invalid max index ...`.
 */
export function trackStatus(backend: WebGPUBackendLike, op: string, indicesShape: readonly number[], layout: string): GPUBuffer {
  const status = backend.bufferManager.acquireBuffer(STATUS_BYTES, STATUS_USAGE);
  const faults = faultsOf(backend.device);
  // The kernel of this status is not recorded yet: read only the older ones.
  if (faults.pending.length >= PENDING_MAX) faults.reads.push(readStatuses(backend, faults.pending.splice(0)));
  faults.pending.push({
    status,
    describe: (position, index) => `${op}: Found an invalid max index ${index} at indices[${logicalCoordinates(indicesShape, layout as 'NCHW' | 'NHWC', position).join(', ')}]`,
  });
  return status;
}

/** Gives back a status whose kernel was refused before it was recorded. */
export function untrackStatus(backend: WebGPUBackendLike, status: GPUBuffer): void {
  const faults = faultsOf(backend.device);
  const at = faults.pending.findIndex((p) => p.status === status);
  if (at >= 0) faults.pending.splice(at, 1);
  backend.bufferManager.releaseBuffer(status);
}

/**
 * Copies the statuses into one readback buffer at the end of tfjs's encoder and submits it (one
 * submit); resolves to the first fault's message, or null.
 */
async function readStatuses(backend: WebGPUBackendLike, pending: Pending[]): Promise<string | null> {
  const { device } = backend;
  const readback = device.createBuffer({ label: 'argpool/tfjs index statuses', size: pending.length * STATUS_BYTES, usage: MAP_READ_COPY_DST });
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const encoder = backend.commandEncoder!;
  pending.forEach((p, i) => encoder.copyBufferToBuffer(p.status, 0, readback, i * STATUS_BYTES, STATUS_BYTES));
  backend.uniformPendingDisposal.push(...pending.map((p) => p.status));
  backend.submitQueue();
  try {
    await readback.mapAsync(MAP_READ_MODE);
    const words = new Uint32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    for (let i = 0; i < pending.length; i++) {
      const fault = decodeStatus(words.subarray(2 * i, 2 * i + 2));
      if (fault) return pending[i].describe(fault.position, fault.index);
    }
    return null;
  } finally {
    readback.destroy();
  }
}

/**
 * Resolves once every unpooling and gradient recorded on tfjs's `webgpu` backend since the last call
 * has been found to read only valid indices; rejects with the first bad one otherwise, naming the op,
 * the index and its position in the indices tensor as (batch, channel, spatial...) coordinates. A bad
 * index writes nothing on the GPU (its value goes nowhere); the tensors stay usable.
 *
 * On the `cpu` backend a bad index throws at once, so this resolves immediately there.
 */
export async function checkIndices(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as WebGPUBackendLike;
  const faults = faultsOf(backend.device);
  const reads = faults.reads.splice(0);
  if (faults.pending.length > 0) reads.push(readStatuses(backend, faults.pending.splice(0)));
  const messages = await Promise.all(reads);
  const first = messages.find((m) => m !== null);
  if (first) throw new RangeError(first);
}
