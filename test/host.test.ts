/**
 * Host logic that needs no GPU: params packing against the WGSL structs, the dispatch grid, plans,
 * launch profiles, the buffer pool's cap, and the executor's plan cache and uniform arena.
 */
import { describe, expect, it } from 'vitest';
import { dispatchGrid } from '../src/dispatch';
import { chooseLaunchProfile, LAUNCH_PROFILES, type LaunchProfile } from '../src/launch';
import { resolvePoolGeometry, resolveUnpoolGeometry, type PoolOptions } from '../src/options';
import { planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, programOf, PROGRAMS, type OperationPlan, type PlanLimits } from '../src/plan';
import { packFields, poolFieldValues, POOL_PARAM_FIELDS, UNPOOL_PARAM_FIELDS, unpoolFieldValues } from '../src/params';
import { WORKGROUP_SIZE } from '../src/programs/grids';
import { generatedDeclarations } from '../src/programs/storage';
import { BufferPool, DEFAULT_MAX_IDLE_BYTES } from '../src/buffer_pool';
import { clearRanges, Executor, executorFor, MAX_CACHED_PLANS } from '../src/executor';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { planKey } from '../src/operations';
import { ArgPool } from '../src/argpool';
import { BufferUsage } from '../src/webgpu_constants';
import { overlapTiledLaunch } from '../src/programs/max_pool_overlap_tiled';
import { tiledLaunch } from '../src/programs/max_pool_tiled';
import { windowGatherLaunch } from '../src/programs/window_gather';

/** Field names and types of a WGSL struct, in declaration order. */
function structFields(wgsl: string, name: string): [string, string][] {
  const body = new RegExp(`struct ${name} \\{([^}]*)\\}`).exec(wgsl);
  if (!body) throw new Error(`struct ${name} not found`);
  return [...body[1].matchAll(/(\w+)\s*:\s*([\w<>]+)\s*,/g)].map((m) => [m[1], m[2]]);
}

describe('params uniforms', () => {
  it("each program's params struct is generated from its declared fields, all u32, which are pooling or unpooling fields", () => {
    const known = new Set<string>([...POOL_PARAM_FIELDS, ...UNPOOL_PARAM_FIELDS, 'count']);
    for (const program of PROGRAMS) {
      if (program.uniforms.length === 0) {
        expect(generatedDeclarations(program, 'float32'), program.name).not.toMatch(/struct Params/);
        continue;
      }
      const fields = structFields(generatedDeclarations(program, 'float32'), 'Params');
      expect(fields.map(([n]) => n), program.name).toEqual([...program.uniforms]);
      expect(fields.every(([, t]) => t === 'u32'), program.name).toBe(true);
      for (const field of program.uniforms) expect(known.has(field), `${program.name} ${field}`).toBe(true);
    }
  });

  it('a kernel declares no binding and no params struct of its own, and reads exactly the params fields its program declares', () => {
    for (const program of PROGRAMS) {
      expect(program.wgsl, program.name).not.toMatch(/@group|@binding|struct \w*Params/);
      const code = program.wgsl.replace(/\/\/[^\n]*/g, '');
      const read = new Set([...code.matchAll(/\bparams\.(\w+)/g)].map((m) => m[1]));
      expect([...read].sort(), program.name).toEqual([...program.uniforms].sort());
    }
  });

  it('a value reaches a kernel as an override constant or as a params field, never both', () => {
    for (const program of PROGRAMS) {
      const overrides = [...program.wgsl.matchAll(/^override (\w+)/gm)].map((m) => m[1].toLowerCase());
      for (const field of program.uniforms) expect(overrides, `${program.name} ${field}`).not.toContain(field.toLowerCase());
    }
  });

  it('packs a 2-D pooling into 3-D slots with leading size-1 dims, padded to 16 bytes', () => {
    const g = resolvePoolGeometry('maxPool', [2, 3, 10, 9], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2] });
    const words = packFields(POOL_PARAM_FIELDS, poolFieldValues(g));
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

  it('packs the fields a program declares, in its order, and refuses a missing or non-u32 value', () => {
    const words = packFields(['out_w', 'total'], { total: 7, out_w: 3, in_h: 9 });
    expect(Array.from(words)).toEqual([3, 7, 0, 0]);
    expect(() => packFields(['total', 'rank'], { total: 1 })).toThrow('params field rank must be a u32, got undefined');
    expect(() => packFields(['total'], { total: -1 })).toThrow('params field total must be a u32, got -1');
  });

  it('packs index strides for ONNX and TensorFlow flat indices', () => {
    const onnx = poolFieldValues(resolvePoolGeometry('maxPool', [2, 3, 4, 5], { kernelSize: 2, indexFormat: 'flat' }));
    const tf = poolFieldValues(resolvePoolGeometry('maxPool', [2, 4, 5, 3], { kernelSize: 2, indexFormat: 'flat-no-batch', layout: 'NHWC' }));
    const strides = (v: Record<string, number>) => [v.index_stride_n, v.index_stride_c, v.index_stride_s];
    expect(strides(onnx)).toEqual([3 * 20, 20, 1]);
    expect(strides(tf)).toEqual([0, 1, 3]);
  });

  it('packs unpooling sizes, fill mode and rank', () => {
    const g = resolveUnpoolGeometry('maxUnpool', [1, 2, 3], [1, 2, 3], { kernelSize: 2, fill: 'bilinear' });
    const v = unpoolFieldValues(g);
    expect([v.total, v.out_total, v.in_w, v.out_w, v.in_h, v.fill, v.rank]).toEqual([6, 12, 3, 6, 1, 2, 1]);
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

const LIMITS: PlanLimits = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const SHADERS = new Set(PROGRAMS.map((p) => `${p.name}.wgsl`));

/** Every program of a plan names a known shader, binds known roles and has a grid within the limit. */
function expectWellFormed(plan: OperationPlan, limits = LIMITS): void {
  const roles = new Set([...plan.needs.map((n) => n.role), ...plan.scratch.map((s) => s.role)]);
  expect(plan.programs.length).toBeGreaterThan(0);
  for (const p of plan.programs) {
    expect(SHADERS.has(p.shader), p.shader).toBe(true);
    expect(p.cacheKey.startsWith(`${programOf(p).name}|`)).toBe(true);
    for (const role of p.bindings) expect(role === 'params' ? p.uniform !== null : roles.has(role), role).toBe(true);
    for (const n of p.grid) {
      expect(Number.isInteger(n) && n >= 1 && n <= limits.maxComputeWorkgroupsPerDimension, `${p.label} grid ${p.grid}`).toBe(true);
    }
  }
}

const poolGeometry = (shape: number[], options: PoolOptions) => resolvePoolGeometry('maxPool', shape, options);

describe('plans', () => {
  it('are plain data: shader names, constants, cache keys, packed uniforms, bindings and grids', () => {
    const g = poolGeometry([2, 3, 10, 9], { kernelSize: 3, stride: 2, padding: 1 });
    const plan = planMaxPool(g, { limits: LIMITS });
    expectWellFormed(plan);
    expect(plan.programs.map((p) => p.shader)).toEqual(['max_pool.wgsl']);
    expect(plan.scratch).toEqual([]);
    expect(plan.programs[0].bindings).toEqual(['params', 'input', 'values', 'indices']);
    expect(Array.from(plan.programs[0].uniform!)).toEqual(Array.from(packFields(POOL_PARAM_FIELDS, poolFieldValues(g))));
    expect(plan.programs[0].uniform!.byteLength).toBe(96);
    expect(plan.needs).toEqual([
      { role: 'input', bytes: 2 * 3 * 10 * 9 * 4 },
      { role: 'values', bytes: 2 * 3 * 5 * 5 * 4 },
      { role: 'indices', bytes: 2 * 3 * 5 * 5 * 4 },
    ]);
    // Nothing in a plan refers to a GPU object: it survives a JSON round trip (uniform words as arrays).
    const json = JSON.parse(JSON.stringify(plan, (_, v) => (v instanceof Uint32Array ? Array.from(v) : v)));
    expect(json.programs).toEqual(plan.programs.map((p) => ({ ...p, uniform: Array.from(p.uniform!) })));
    const unpool = planMaxUnpool(resolveUnpoolGeometry('maxUnpool', [2, 3, 5, 5], [2, 3, 5, 5], { kernelSize: 3, stride: 2, padding: 1 }), { limits: LIMITS });
    expectWellFormed(unpool);
    expect(unpool.programs.map((p) => p.shader)).toEqual(['max_unpool_claim.wgsl', 'max_unpool_write.wgsl', 'index_fault.wgsl']);
    expect(unpool.clears.map((c) => c.role)).toEqual(['status', 'owner']);
  });

  it('fold a dispatch of more than 65,535 workgroups into a 2-D grid', () => {
    // 1 x 1 x 6144 x 6144 pooled 2x2: 9,437,184 outputs, 147,456 workgroups of 64.
    const g = poolGeometry([1, 1, 6144, 6144], { kernelSize: 2 });
    const plan = planMaxPool(g, { limits: LIMITS, specialised: false });
    expectWellFormed(plan);
    const [x, y, z] = plan.programs[0].grid;
    expect(y).toBeGreaterThan(1);
    expect(x * y * z * WORKGROUP_SIZE).toBeGreaterThanOrEqual(9_437_184);
  });

  it('plan a 1-D pooling gradient over more than 4.2M samples, whose gather needs more than 65,535 workgroups along x', () => {
    const samples = 4_300_000;
    const g = poolGeometry([1, 1, samples], { kernelSize: 3, stride: 2 });
    // General kernels: the gather's grid is clamped to the limit; its grid-stride loop walks the rest.
    const general = planMaxPoolBackward(g, { limits: LIMITS, specialised: false });
    expectWellFormed(general);
    const gather = general.programs.find((p) => p.shader === 'window_gather.wgsl')!;
    expect(gather.grid[0]).toBe(65535);
    expect(gather.grid[0] * gather.constants.WORKGROUP_X).toBeLessThan(samples);
    // Specialised: the scatter, one invocation per pooled element on a folded grid, into a cleared result.
    const specialised = planMaxPoolBackward(g, { limits: LIMITS });
    expectWellFormed(specialised);
    const scatter = specialised.programs.find((p) => p.shader === 'window_scatter.wgsl')!;
    expect(scatter.grid[0] * scatter.grid[1] * scatter.grid[2] * WORKGROUP_SIZE).toBeGreaterThanOrEqual(2_149_999);
    expect(specialised.clears).toContainEqual({ role: 'gradInput', bytes: samples * 4 });
    expectWellFormed(planMaxPool(g, { limits: LIMITS }));
  });

  it('plan a channels-last 1-D input longer than 65,535 positions, forward and gradient', () => {
    const g = poolGeometry([1, 70_000, 65], { kernelSize: 2, layout: 'NHWC' });
    const forward = planMaxPool(g, { limits: LIMITS });
    expectWellFormed(forward);
    const backward = planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g });
    expectWellFormed(backward);
    expect(backward.programs.map((p) => p.shader)).toEqual(['window_scatter.wgsl']);
    const general = planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g, specialised: false });
    expect(general.programs.find((p) => p.shader === 'window_gather.wgsl')!.grid[1]).toBe(65535);
    const unpool = planMaxUnpool(resolveUnpoolGeometry('maxUnpool', [1, 35_000, 65], [1, 35_000, 65], { kernelSize: 2, layout: 'NHWC' }), { limits: LIMITS, pooledBy: g });
    expectWellFormed(unpool);
  });

  it('refuse bindings over the device limits, naming the limit, the operation and the buffer', () => {
    const small: PlanLimits = { ...LIMITS, maxStorageBufferBindingSize: 1024, maxBufferSize: 4096 };
    const g = poolGeometry([1, 1, 16, 32], { kernelSize: 2 }); // 2048-byte input, 512-byte outputs
    expect(() => planMaxPool(g, { limits: small })).toThrow(/^maxPool2d: input needs 2048 bytes, more than this device's maxStorageBufferBindingSize \(1024\)$/);
    expect(() => planMaxPoolBackward(g, { limits: small })).toThrow(/^maxPool2d: gradInput needs 2048 bytes, more than this device's maxStorageBufferBindingSize \(1024\)$/);
    const u = resolveUnpoolGeometry('maxUnpool', [1, 1, 8, 16], [1, 1, 8, 16], { kernelSize: 2 });
    expect(() => planMaxUnpool(u, { limits: small })).toThrow(/^maxUnpool2d: output needs 2048 bytes, more than this device's maxStorageBufferBindingSize \(1024\)$/);
    expect(() => planMaxUnpoolBackward(u, { limits: small })).toThrow(/^maxUnpool2d: gradOutput needs 2048 bytes/);
    const tinyBuffers: PlanLimits = { ...LIMITS, maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1024 };
    expect(() => planMaxPool(g, { limits: tinyBuffers })).toThrow(/^maxPool2d: input needs 2048 bytes, more than this device's maxBufferSize \(1024\)$/);
  });

  it('refuse a fill mode whose coordinates would not be exact, naming the limit', () => {
    const u = resolveUnpoolGeometry('maxUnpool', [1, 1, 2 ** 29 + 8], [1, 1, 2 ** 29 + 8], { kernelSize: 2, fill: 'nearest' });
    expect(() => planMaxUnpool(u, { limits: { ...LIMITS, maxStorageBufferBindingSize: 2 ** 33, maxBufferSize: 2 ** 33 } })).toThrow(
      /^maxUnpool1d: fill 'nearest' supports output sizes below 2\^30, got \[1073741840\]$/,
    );
  });

  it('with specialisedKernels false, use only the general kernels, gradients included', () => {
    const general = new Set(['max_pool.wgsl', 'max_unpool_claim.wgsl', 'max_unpool_write.wgsl', 'index_fault.wgsl', 'max_pool_backward_check.wgsl', 'window_gather.wgsl', 'max_unpool_backward.wgsl']);
    for (const [shape, options] of [
      [[1, 4, 8, 16], { kernelSize: 2 }], // tiles: the tiled kernels when specialised
      [[1, 8, 16, 8], { kernelSize: 3, stride: 2, layout: 'NHWC' }], // channels in fours: the vectorised kernels
    ] as [number[], PoolOptions][]) {
      const g = poolGeometry(shape, options);
      const context = { limits: LIMITS, specialised: false, pooledBy: g };
      const unpool = resolveUnpoolGeometry('maxUnpool', g.layout === 'NHWC' ? [1, ...g.outSpatial, shape[3]] : [1, shape[1], ...g.outSpatial], g.layout === 'NHWC' ? [1, ...g.outSpatial, shape[3]] : [1, shape[1], ...g.outSpatial], { ...options, outputSize: g.inSpatial });
      const used = [planMaxPool(g, context), planMaxPoolBackward(g, context), planMaxUnpool(unpool, context), planMaxUnpoolBackward(unpool, context)].flatMap((p) => p.programs.map((q) => q.shader));
      for (const shader of used) expect(general.has(shader), shader).toBe(true);
      expect(used).toContain('window_gather.wgsl');
      expect(used).toContain('max_pool_backward_check.wgsl');
      const specialisedShaders = [planMaxPool(g, { limits: LIMITS }), planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g })].flatMap((p) => p.programs.map((q) => q.shader));
      expect(specialisedShaders.some((s) => !general.has(s))).toBe(true);
    }
  });

  it('pool 3-wide, stride-2 windows of 2-D channels-first inputs with the overlapping-window tiled kernel, in both launch profiles', () => {
    for (const launch of [LAUNCH_PROFILES.emulated, LAUNCH_PROFILES.gpu]) {
      for (const options of [
        { kernelSize: 3, stride: 2, padding: 1 }, // the ResNet stem
        { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, indexFormat: 'window' },
        { kernelSize: [5, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 1], indexFormat: 'flat' },
        { kernelSize: [2, 3], stride: [3, 2], padding: [0, 1] },
      ] as PoolOptions[]) {
        const g = poolGeometry([2, 16, 33, 48], options);
        const plan = planMaxPool(g, { limits: LIMITS, launch });
        expectWellFormed(plan);
        const overlap = overlapTiledLaunch(g, LIMITS.maxComputeWorkgroupsPerDimension, launch)!;
        expect(plan.programs[0].shader).toBe('max_pool_overlap_tiled.wgsl');
        expect(plan.programs[0].grid).toEqual(overlap.grid);
        expect(plan.programs[0].constants).toEqual({ ...overlap.constants, NAN_RULE: 0 });
        expect(overlap.constants.KERNEL_H).toBe(g.kernel[0]);
        // Four outputs of a row per invocation, ROWS rows: the grid covers the output, with less than a group to spare.
        const { WORKGROUP_X, WORKGROUP_Y, ROWS } = overlap.constants;
        expect(overlap.grid[0] * WORKGROUP_X * 4).toBeGreaterThanOrEqual(g.outSpatial[1]);
        expect((overlap.grid[0] - 1) * WORKGROUP_X * 4).toBeLessThan(g.outSpatial[1]);
        expect(overlap.grid[1] * WORKGROUP_Y * ROWS).toBeGreaterThanOrEqual(g.outSpatial[0]);
        expect(overlap.grid[2]).toBe(2 * 16);
        expect(planMaxPool(g, { limits: LIMITS, launch, specialised: false }).programs[0].shader).toBe('max_pool.wgsl');
      }
    }
    const big = poolGeometry([1, 64, 256, 256], { kernelSize: 3, stride: 2, padding: 1 });
    expect(overlapTiledLaunch(big, 65535, LAUNCH_PROFILES.emulated)!.constants.ROWS).toBeGreaterThan(overlapTiledLaunch(big, 65535, LAUNCH_PROFILES.gpu)!.constants.ROWS);
    // Not for other widths, strides, paddings or dilations along the width, widths not a multiple of 4,
    // channels-last, 1-D or 3-D: other kernels run.
    for (const [shape, options] of [
      [[1, 4, 9, 9], { kernelSize: 3, stride: 2, padding: 1 }],
      [[1, 4, 8, 8], { kernelSize: 3, stride: 1, padding: 1 }],
      [[1, 4, 8, 8], { kernelSize: 3, stride: 2 }],
      [[1, 4, 8, 8], { kernelSize: 3, stride: 2, padding: 1, dilation: 2 }],
      [[1, 4, 8, 8], { kernelSize: 2, stride: 2 }],
      [[1, 8, 8, 4], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }],
      [[1, 4, 32], { kernelSize: 3, stride: 2, padding: 1 }],
      [[1, 4, 8, 8, 8], { kernelSize: 3, stride: 2, padding: 1 }],
    ] as [number[], PoolOptions][]) {
      const g = poolGeometry(shape, options);
      expect(overlapTiledLaunch(g, 65535), JSON.stringify(options)).toBeNull();
      expect(planMaxPool(g, { limits: LIMITS }).programs[0].shader).not.toBe('max_pool_overlap_tiled.wgsl');
    }
  });
});

describe('launch profiles', () => {
  it('are chosen from the adapter: fallback and software adapters are emulated, others GPUs', () => {
    expect(chooseLaunchProfile({ vendor: 'google', architecture: 'swiftshader' }).name).toBe('emulated');
    expect(chooseLaunchProfile({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).name).toBe('emulated');
    expect(chooseLaunchProfile({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: true }).name).toBe('emulated');
    expect(chooseLaunchProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }).name).toBe('gpu');
    expect(chooseLaunchProfile(undefined).name).toBe('gpu');
  });

  it('set rows per invocation: many on an emulation, few on a GPU', () => {
    const g = poolGeometry([1, 10, 400, 1024], { kernelSize: 2 });
    const emulated = tiledLaunch(g, 65535, LAUNCH_PROFILES.emulated)!;
    const gpu = tiledLaunch(g, 65535, LAUNCH_PROFILES.gpu)!;
    expect(emulated.constants.ROWS).toBe(16);
    expect(gpu.constants.ROWS).toBeLessThanOrEqual(4);
    expect(gpu.grid[1]).toBeGreaterThan(emulated.grid[1]);
    const gather = (launch: LaunchProfile) => windowGatherLaunch(poolGeometry([1, 32, 100, 130], { kernelSize: 3, stride: 2, padding: 1 }), 65535, launch).constants.ROWS;
    expect(gather(LAUNCH_PROFILES.emulated)).toBeGreaterThan(gather(LAUNCH_PROFILES.gpu));
  });
});

/** A GPUBuffer stand-in that records whether it was destroyed. */
interface FakeBuffer {
  size: number;
  usage: number;
  label: string;
  destroyed: boolean;
  destroy(): void;
}

function fakeBuffer(descriptor: GPUBufferDescriptor): FakeBuffer {
  return {
    size: descriptor.size,
    usage: descriptor.usage,
    label: descriptor.label ?? '',
    destroyed: false,
    destroy() {
      this.destroyed = true;
    },
  };
}

/** Just enough of a GPUDevice for the executor's bookkeeping: buffers and queue writes, recorded. */
function fakeDevice() {
  const buffers: FakeBuffer[] = [];
  const writes: { buffer: FakeBuffer; offset: number; words: number[] }[] = [];
  const device = {
    limits: { minUniformBufferOffsetAlignment: 256, minStorageBufferOffsetAlignment: 256, ...LIMITS },
    lost: new Promise(() => {}),
    createBuffer(descriptor: GPUBufferDescriptor) {
      const buffer = fakeBuffer(descriptor);
      buffers.push(buffer);
      return buffer;
    },
    queue: {
      writeBuffer(buffer: FakeBuffer, offset: number, data: Uint32Array) {
        writes.push({ buffer, offset, words: Array.from(data) });
      },
    },
  };
  return { device: device as unknown as GPUDevice, buffers, writes };
}

describe('buffer pool', () => {
  const usage = BufferUsage.STORAGE;

  it('reuses a released buffer of the same size and usage only after the next submit', () => {
    const pool = new BufferPool({} as GPUDevice, (d) => fakeBuffer(d) as unknown as GPUBuffer);
    const a = pool.acquire({ size: 100, usage });
    expect(a.size).toBe(112);
    pool.release(a);
    expect(pool.acquire({ size: 100, usage })).not.toBe(a);
    pool.submitted();
    expect(pool.acquire({ size: 112, usage })).toBe(a);
    expect(pool.acquire({ size: 112, usage: BufferUsage.UNIFORM })).not.toBe(a);
    expect(pool.created).toBe(3);
  });

  it('destroys the least recently idled buffers once the idle bytes pass the cap, and a lower cap trims at once', () => {
    const forgotten: GPUBuffer[] = [];
    const pool = new BufferPool({} as GPUDevice, (d) => fakeBuffer(d) as unknown as GPUBuffer, (b) => forgotten.push(b));
    expect(pool.maxIdleBytes).toBe(DEFAULT_MAX_IDLE_BYTES);
    pool.maxIdleBytes = 4096;
    const buffers = [1024, 2048, 1024, 2048].map((size) => pool.acquire({ size, usage }));
    for (const b of buffers) pool.release(b);
    pool.submitted();
    // 6 KiB idle against a 4 KiB cap: the oldest go until it fits (1 KiB, then 2 KiB, leaving 3 KiB).
    const fake = buffers as unknown as FakeBuffer[];
    expect(fake.map((b) => b.destroyed)).toEqual([true, true, false, false]);
    expect(pool.idleBytes).toBe(3072);
    expect(forgotten).toEqual(buffers.slice(0, 2));
    expect(pool.destroyedCount).toBe(2);
    pool.maxIdleBytes = 2048;
    expect(fake.map((b) => b.destroyed)).toEqual([true, true, true, false]);
    expect(pool.idleBytes).toBe(2048);
    // A buffer bigger than the cap is destroyed as soon as it is idle.
    const big = pool.acquire({ size: 8192, usage });
    pool.release(big);
    pool.submitted();
    expect((big as unknown as FakeBuffer).destroyed).toBe(true);
    expect(pool.idleBytes).toBe(2048);
    // The survivor is the one handed out next; then nothing is idle.
    expect(pool.acquire({ size: 2048, usage })).toBe(buffers[3]);
    expect(pool.idleBytes).toBe(0);
    expect(() => (pool.maxIdleBytes = -1)).toThrow(/^maxIdleBytes must be a finite number >= 0, got -1$/);
  });

  it('trims every idle buffer, and destroys retiring ones with the pool', () => {
    const pool = new BufferPool({} as GPUDevice, (d) => fakeBuffer(d) as unknown as GPUBuffer);
    const [idle, retiring] = [pool.acquire({ size: 64, usage }), pool.acquire({ size: 64, usage })] as unknown as FakeBuffer[];
    pool.release(idle as unknown as GPUBuffer);
    pool.submitted();
    pool.release(retiring as unknown as GPUBuffer);
    pool.trim();
    expect([idle.destroyed, retiring.destroyed]).toEqual([true, false]);
    pool.destroy();
    expect(retiring.destroyed).toBe(true);
  });
});

describe('executor', () => {
  it('prepares a plan once per key: params written once into a slot of the uniform arena', () => {
    const { device, writes } = fakeDevice();
    const executor = new Executor(device);
    const g = poolGeometry([1, 4, 16, 16], { kernelSize: 2 });
    let built = 0;
    const build = () => {
      built++;
      return planMaxPool(g, { limits: LIMITS });
    };
    const first = executor.prepare('pool', build);
    expect(executor.prepare('pool', build)).toBe(first);
    expect(built).toBe(1);
    expect(first.uniforms.map((slot) => slot !== null)).toEqual([true]);
    expect(writes).toHaveLength(1);
    expect(writes[0].words).toEqual(Array.from(first.plan.programs[0].uniform!));
    expect(writes[0].words).toEqual(Array.from(packFields(programOf(first.plan.programs[0]).uniforms, poolFieldValues(g))));
    const second = executor.prepare('other', () => planMaxPool(poolGeometry([1, 4, 8, 8], { kernelSize: 2 }), { limits: LIMITS }));
    const [a, b] = [first.uniforms[0]!, second.uniforms[0]!];
    expect(a.buffer).toBe(b.buffer);
    expect(Math.abs(a.offset - b.offset) % 256).toBe(0);
    expect(a.offset).not.toBe(b.offset);
  });

  it('is one per device, and keeps no device alive (a WeakMap)', async () => {
    const { device } = fakeDevice();
    expect(executorFor(device)).toBe(executorFor(device));
    expect(executorFor(fakeDevice().device)).not.toBe(executorFor(device));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dropped = (() => {
      const other = fakeDevice().device;
      executorFor(other).prepare('pool', () => planMaxPool(poolGeometry([1, 1, 4, 4], { kernelSize: 2 }), { limits: LIMITS }));
      return new WeakRef(other);
    })();
    // No deref() between collections: it would keep the target alive for the rest of that job.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(dropped.deref()).toBeUndefined();
  });

  it('keeps nothing of a plan that planning refused, and refuses it again', () => {
    const { device } = fakeDevice();
    const executor = new Executor(device);
    const g = poolGeometry([1, 1, 16, 32], { kernelSize: 2 });
    const small = { ...LIMITS, maxStorageBufferBindingSize: 1024 };
    for (let i = 0; i < 2; i++) {
      expect(() => executor.prepare('too big', () => planMaxPool(g, { limits: small }))).toThrow(/maxStorageBufferBindingSize \(1024\)/);
    }
    expect(executor.cachedPlans).toBe(0);
  });

  it('keeps at most MAX_CACHED_PLANS plans, and an evicted plan gives its uniform slot back after a submit', () => {
    const { device } = fakeDevice();
    const executor = new Executor(device);
    const plans = [];
    for (let i = 0; i <= MAX_CACHED_PLANS; i++) {
      plans.push(executor.prepare(`pool ${i}`, () => planMaxPool(poolGeometry([1, 1, 2, 2 * (i + 1)], { kernelSize: 2 }), { limits: LIMITS })));
    }
    expect(executor.cachedPlans).toBe(MAX_CACHED_PLANS);
    // The first plan went (asking again builds it anew, which evicts the second); the evicted slots
    // are handed out again only after the next submit, the last given back first.
    const inUse = new Set(plans.slice(2).map((p) => p.uniforms[0]!));
    const rebuilt = executor.prepare('pool 0', () => planMaxPool(poolGeometry([1, 1, 2, 2], { kernelSize: 2 }), { limits: LIMITS }));
    expect(rebuilt).not.toBe(plans[0]);
    expect(inUse.has(rebuilt.uniforms[0]!)).toBe(false);
    const evictedSlot = plans[1].uniforms[0]!;
    expect([rebuilt.uniforms[0]!.buffer, rebuilt.uniforms[0]!.offset]).not.toEqual([evictedSlot.buffer, evictedSlot.offset]);
    executor.flush();
    const reused = executor.prepare('pool new', () => planMaxPool(poolGeometry([1, 1, 4, 4], { kernelSize: 2 }), { limits: LIMITS })).uniforms[0]!;
    expect([reused.buffer, reused.offset]).toEqual([evictedSlot.buffer, evictedSlot.offset]);
  });
});

/**
 * A stand-in device complete enough for ArgPool to record on: it keeps every queue write, every bind
 * group's entries, and the bind groups set in passes, so a test can see what a dispatch would read.
 */
function recordingDevice() {
  const base = fakeDevice();
  const groups: GPUBufferBinding[][] = [];
  const set: number[] = [];
  const noop = () => {};
  const pass = {
    setPipeline: noop,
    setBindGroup: (_: number, group: { index: number }) => set.push(group.index),
    dispatchWorkgroups: noop,
    end: noop,
  };
  const encoder = { beginComputePass: () => pass, clearBuffer: noop, copyBufferToBuffer: noop, finish: () => ({}) };
  Object.assign(base.device as object, {
    features: new Set(),
    adapterInfo: { vendor: 'google', architecture: 'swiftshader' },
    createShaderModule: () => ({}),
    createComputePipeline: () => ({ getBindGroupLayout: () => ({}) }),
    createBindGroup: (d: GPUBindGroupDescriptor) => {
      groups.push([...d.entries].map((e) => e.resource as GPUBufferBinding));
      return { index: groups.length - 1 };
    },
    createCommandEncoder: () => encoder,
    pushErrorScope: noop,
    popErrorScope: () => Promise.resolve(null),
  });
  Object.assign((base.device as unknown as { queue: object }).queue, { submit: noop, onSubmittedWorkDone: () => Promise.resolve() });
  /** The words the last bind group set would read from its binding 0 (the params uniform). */
  const lastParams = (): number[] => {
    const params = groups[set[set.length - 1]][0];
    const write = base.writes.filter((w) => w.buffer === (params.buffer as unknown) && w.offset === params.offset).pop();
    return write!.words;
  };
  return { ...base, lastParams, groups };
}

describe('recording on the executor', () => {
  it('binds the params of the call being recorded, through repeated calls, changed options and evicted plans', async () => {
    const { device, lastParams } = recordingDevice();
    const ap = await ArgPool.create({ device });
    const options = { kernelSize: 2, stride: 2 };
    // The params the call's own plan holds for its pooling program.
    const expectParams = (shape: number[], o: PoolOptions) =>
      expect(lastParams()).toEqual(Array.from(planMaxPool(resolvePoolGeometry('maxPool', shape, o), { limits: LIMITS, launch: ap.launchProfile }).programs[0].uniform!));
    const x = ap.tensor(new Float32Array(4 * 16 * 16), [1, 4, 16, 16]);
    for (let i = 0; i < 3; i++) {
      ap.maxPool2d(x, options);
      expectParams([1, 4, 16, 16], options);
    }
    options.stride = 1;
    ap.maxPool2d(x, options);
    expectParams([1, 4, 16, 16], options);
    // Enough other plans to push this one out of the cache: its uniform slot goes to another plan.
    for (let w = 1; w <= MAX_CACHED_PLANS + 1; w++) {
      const t = ap.tensor(new Float32Array(2 * w), [1, 1, 2, w]);
      ap.maxPool2d(t, { kernelSize: 1 });
      t.destroy();
      if (w % 64 === 0) await ap.sync();
    }
    await ap.sync();
    ap.maxPool2d(x, options);
    expectParams([1, 4, 16, 16], options);
    ap.destroy();
  });
});

describe('bind groups', () => {
  it("are made once per set of the executor's own buffers, and every time for a caller's buffer", async () => {
    const { device, groups } = recordingDevice();
    const ap = await ArgPool.create({ device });
    const options = { kernelSize: 2 };
    const x = ap.tensor(new Float32Array(64), [1, 1, 8, 8]);
    const pooled = () => {
      const { values, indices } = ap.maxPool2d(x, options);
      values.destroy();
      indices.destroy();
    };
    // values and indices have one size: the pool hands them back swapped, so two sets alternate.
    for (let i = 0; i < 2; i++) {
      pooled();
      await ap.sync();
    }
    const afterFirst = groups.length;
    expect(afterFirst).toBe(2);
    for (let i = 0; i < 5; i++) {
      pooled();
      await ap.sync();
    }
    // The pool hands back the same buffers after each submit: the same bind groups serve.
    expect(groups.length).toBe(afterFirst);
    const callers = device.createBuffer({ size: 256, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
    const wrapped = ap.fromBuffer(callers, [1, 1, 8, 8], 'float32');
    for (let i = 0; i < 3; i++) {
      const { values, indices } = ap.maxPool2d(wrapped, options);
      values.destroy();
      indices.destroy();
      await ap.sync();
    }
    expect(groups.length).toBe(afterFirst + 3);
    ap.destroy();
  });
});

describe('fault slot clears', () => {
  it('zero runs of neighbouring slots with one clear each, and never a slot outside the set', () => {
    const [a, b] = [{}, {}] as GPUBuffer[];
    const slot = (buffer: GPUBuffer, index: number) => ({ buffer, offset: index * 256, size: 8 });
    const ranges = clearRanges([slot(a, 2), slot(b, 0), slot(a, 0), slot(a, 1), slot(a, 4), slot(b, 1)], 256);
    // Pages come in some fixed order; within a page, by offset.
    const ofA = ranges.filter((r) => r.buffer === a);
    const ofB = ranges.filter((r) => r.buffer === b);
    expect(ranges).toHaveLength(3);
    expect(ofA.map((r) => [r.offset, r.size])).toEqual([[0, 520], [1024, 8]]);
    expect(ofB.map((r) => [r.offset, r.size])).toEqual([[0, 264]]);
    // Slot 3 of a is not in the set: no range reaches it.
    expect(ranges.some((r) => r.buffer === a && r.offset <= 768 && r.offset + r.size > 768)).toBe(false);
    expect(clearRanges([], 256)).toEqual([]);
  });
});

describe('plan keys', () => {
  const contexts = [
    { specialised: true, launch: LAUNCH_PROFILES.emulated },
    { specialised: false, launch: LAUNCH_PROFILES.emulated },
    { specialised: true, launch: LAUNCH_PROFILES.gpu },
  ];

  it('tell apart every pair of calls whose geometry or context differ, and only those', () => {
    const shapes = [[1, 4, 16, 16], [2, 4, 16, 16], [1, 3, 16, 16], [1, 4, 16, 17], [1, 16, 16, 4], [1, 4, 16], [1, 4, 8, 8, 8]];
    const options: PoolOptions[] = [
      { kernelSize: 2 },
      { kernelSize: 2, stride: 1 },
      { kernelSize: 3, stride: 2, padding: 1 },
      { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
      { kernelSize: 2, dilation: 2 },
      { kernelSize: 2, layout: 'NHWC' },
      { kernelSize: 2, indexFormat: 'window' },
      { kernelSize: 2, indexFormat: 'flat' },
      { kernelSize: 2, padding: 'same' },
    ];
    const byKey = new Map<string, string>();
    for (const shape of shapes) {
      for (const o of options) {
        let g;
        try {
          g = resolvePoolGeometry('maxPool', shape, o);
        } catch {
          continue;
        }
        for (const context of contexts) {
          const key = planKey('maxPool', context, g);
          const identity = JSON.stringify([g, context.specialised, context.launch.name]);
          const known = byKey.get(key);
          if (known !== undefined) expect(known, key).toBe(identity);
          byKey.set(key, identity);
          // The pooling behind the indices is part of an unpooling's key.
          expect(planKey('maxUnpool', context, g, g)).not.toBe(planKey('maxUnpool', context, g));
        }
      }
    }
    expect(byKey.size).toBeGreaterThan(100);
    const g = resolvePoolGeometry('maxPool', [1, 4, 16, 16], { kernelSize: 2 });
    expect(planKey('maxPool', contexts[0], g)).toBe(planKey('maxPool', contexts[0], resolvePoolGeometry('maxPool', [1, 4, 16, 16], { kernelSize: [2, 2], stride: 2 })));
  });
});
