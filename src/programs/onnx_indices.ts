/**
 * onnx_indices_widen.wgsl and onnx_indices_narrow.wgsl: index conversions between argpool's int32
 * 'flat' indices and the int64 indices of ONNX graphs (optionally column-major in the spatial part,
 * ONNX's storage_order 1), for the ONNX Runtime adapter.
 */
import narrowCode from '../../shaders/onnx_indices_narrow.wgsl?raw';
import widenCode from '../../shaders/onnx_indices_widen.wgsl?raw';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const onnxIndicesWiden = defineProgram({
  name: 'onnx_indices_widen',
  wgsl: widenCode,
  includes: [],
  uniforms: ['count', 'in_d', 'in_h', 'in_w'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'wide', kind: 'storage', access: 'read_write', type: 'array<vec2<u32>>' },
  ],
  applies: ({ op, count, columnMajor }: FlatWork & { columnMajor: boolean }, { limits }: DeviceFacts) => flatLaunch(op, count, limits, { COLUMN_MAJOR: columnMajor ? 1 : 0 }),
});

export const onnxIndicesNarrow = defineProgram({
  name: 'onnx_indices_narrow',
  wgsl: narrowCode,
  includes: [],
  uniforms: ['count'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'wide', kind: 'storage', access: 'read', type: 'array<vec2<u32>>' },
    { name: 'indices', kind: 'storage', access: 'read_write', type: 'array<i32>' },
  ],
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
