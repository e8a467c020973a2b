// Numeric flags from the WebGPU specification. The host layer uses these instead of the globals
// `GPUBufferUsage` and `GPUMapMode`, which Node's `webgpu` package (Dawn) does not install on globalThis
// and which some TypeScript lib.dom setups declare only as types.

/** GPUBufferUsage flags (WebGPU § GPUBufferUsage). */
export const BufferUsage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  INDEX: 0x10,
  VERTEX: 0x20,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
  QUERY_RESOLVE: 0x200,
} as const;

/** GPUMapMode flags (WebGPU § GPUMapMode). */
export const MapMode = {
  READ: 0x1,
  WRITE: 0x2,
} as const;
