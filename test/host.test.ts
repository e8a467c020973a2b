/** Host logic that needs no GPU: params packing against the WGSL structs, and the dispatch grid. */
import { describe, expect, it } from 'vitest';
import paramsWgsl from '../shaders/params.wgsl?raw';
import { dispatchGrid } from '../src/dispatch';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../src/options';
import { SHADER_CODE } from '../src/shaders';
import { packPoolParams, packUnpoolParams, POOL_PARAM_FIELDS, UNPOOL_PARAM_FIELDS } from '../src/params';

/** Field names and types of a WGSL struct, in declaration order. */
function structFields(wgsl: string, name: string): [string, string][] {
  const body = new RegExp(`struct ${name} \\{([^}]*)\\}`).exec(wgsl);
  if (!body) throw new Error(`struct ${name} not found`);
  return [...body[1].matchAll(/(\w+)\s*:\s*([\w<>]+)\s*,/g)].map((m) => [m[1], m[2]]);
}

describe('params uniforms', () => {
  it('pool params match the WGSL struct field for field, all u32', () => {
    const fields = structFields(paramsWgsl, 'PoolParams');
    expect(fields.map(([n]) => n)).toEqual([...POOL_PARAM_FIELDS]);
    expect(fields.every(([, t]) => t === 'u32')).toBe(true);
  });

  it('unpool params match the WGSL struct field for field, all u32', () => {
    const fields = structFields(paramsWgsl, 'UnpoolParams');
    expect(fields.map(([n]) => n)).toEqual([...UNPOOL_PARAM_FIELDS]);
    expect(fields.every(([, t]) => t === 'u32')).toBe(true);
  });

  it('every kernel declares no params struct of its own (they all get params.wgsl)', () => {
    const files = import.meta.glob('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const kernels = Object.keys(SHADER_CODE);
    expect(kernels.length).toBeGreaterThan(8);
    for (const name of [...kernels, 'layout.wgsl']) {
      const text = files[`../shaders/${name}`];
      expect(text, name).toBeDefined();
      expect(text, name).not.toMatch(/struct \w*Params/);
    }
  });

  it('packs a 2-D pooling into 3-D slots with leading size-1 dims, padded to 16 bytes', () => {
    const g = resolvePoolGeometry('maxPool', [2, 3, 10, 9], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2] });
    const words = packPoolParams(g);
    expect(words.byteLength % 16).toBe(0);
    const at = (f: (typeof POOL_PARAM_FIELDS)[number]) => words[POOL_PARAM_FIELDS.indexOf(f)];
    expect([at('in_d'), at('in_h'), at('in_w')]).toEqual([1, 10, 9]);
    expect([at('out_d'), at('out_h'), at('out_w')]).toEqual([1, 5, 7]);
    expect([at('kernel_d'), at('kernel_h'), at('kernel_w')]).toEqual([1, 3, 2]);
    expect([at('stride_d'), at('stride_h'), at('stride_w')]).toEqual([1, 2, 1]);
    expect([at('pad_d'), at('pad_h'), at('pad_w')]).toEqual([0, 1, 0]);
    expect([at('dilation_d'), at('dilation_h'), at('dilation_w')]).toEqual([1, 1, 2]);
    expect(at('total')).toBe(2 * 3 * 5 * 7);
    expect([at('index_stride_n'), at('index_stride_c'), at('index_stride_s')]).toEqual([0, 0, 1]);
  });

  it('packs index strides for ONNX and TensorFlow flat indices', () => {
    const onnx = packPoolParams(resolvePoolGeometry('maxPool', [2, 3, 4, 5], { kernelSize: 2, indexFormat: 'flat' }));
    const tf = packPoolParams(resolvePoolGeometry('maxPool', [2, 4, 5, 3], { kernelSize: 2, indexFormat: 'flat-no-batch', layout: 'NHWC' }));
    const strides = (w: Uint32Array) => ['index_stride_n', 'index_stride_c', 'index_stride_s'].map((f) => w[POOL_PARAM_FIELDS.indexOf(f as never)]);
    expect(strides(onnx)).toEqual([3 * 20, 20, 1]);
    expect(strides(tf)).toEqual([0, 1, 3]);
  });

  it('packs unpooling sizes, fill mode and rank', () => {
    const g = resolveUnpoolGeometry('maxUnpool', [1, 2, 3], [1, 2, 3], { kernelSize: 2, fill: 'bilinear' });
    const words = packUnpoolParams(g);
    const at = (f: (typeof UNPOOL_PARAM_FIELDS)[number]) => words[UNPOOL_PARAM_FIELDS.indexOf(f)];
    expect([at('total'), at('out_total'), at('in_w'), at('out_w'), at('in_h'), at('fill'), at('rank')]).toEqual([6, 12, 3, 6, 1, 2, 1]);
  });
});

describe('dispatchGrid', () => {
  it('uses one dimension while it fits', () => {
    expect(dispatchGrid(1, 64, 65535)).toEqual([1, 1, 1]);
    expect(dispatchGrid(0, 64, 65535)).toEqual([1, 1, 1]);
    expect(dispatchGrid(65535 * 64, 64, 65535)).toEqual([65535, 1, 1]);
  });

  it('folds into two and three dimensions that cover the work with little overshoot', () => {
    for (const [count, max] of [
      [65536 * 64, 65535],
      [9_437_184, 65535],
      [1000, 7],
      [50, 3],
      [27 * 64, 3],
      [26 * 64 + 1, 3],
    ]) {
      const [x, y, z] = dispatchGrid(count, 64, max);
      const groups = Math.ceil(count / 64);
      expect(Math.max(x, y, z)).toBeLessThanOrEqual(max);
      expect(x * y * z).toBeGreaterThanOrEqual(groups);
      // Overshoot stays below one row of x and one layer of x*y.
      expect(x * y * z - groups).toBeLessThan(x * y);
    }
  });

  it('names the limit when even a cube of workgroups is too small', () => {
    expect(() => dispatchGrid(28 * 64, 64, 3, 'maxPool2d')).toThrow(
      /^maxPool2d: 1792 invocations need 28 workgroups of 64, more than maxComputeWorkgroupsPerDimension \(3\) cubed$/,
    );
  });
});
