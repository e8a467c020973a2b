/**
 * index_fault.wgsl: completes a fault status after an index-reading kernel has run (copies the first
 * bad element's index next to its position). One invocation.
 */
import code from '../../shaders/index_fault.wgsl?raw';
import { defineProgram } from './program.js';

export const indexFault = defineProgram({
  name: 'index_fault',
  wgsl: code,
  includes: [],
  uniforms: [],
  bindings: [
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'status', kind: 'storage', access: 'read_write', type: 'array<u32, 2>' },
  ],
  applies: ({ packedTaps }: { packedTaps: boolean }) => ({ grid: [1, 1, 1], constants: packedTaps ? { PACKED_BYTES: 1 } : ({} as Record<string, number>) }),
});
