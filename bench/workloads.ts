/**
 * The benchmark's workloads: what argpool runs, and how TensorFlow.js would run the same pooling
 * (channels-last, 2-D only) when it can.
 */
import type { Layout, PoolOptions } from '../src/index';

export type OpKind = 'pool' | 'unpool' | 'grad';
export const OPS: readonly OpKind[] = ['pool', 'unpool', 'grad'];

/** How TensorFlow.js runs the workload: `tf.maxPoolWithArgmax` on a 4-D NHWC tensor. */
export interface TfjsPlan {
  /** [batch, height, width, channels]. */
  shape: [number, number, number, number];
  filterSize: [number, number];
  strides: [number, number];
  pad: 'valid' | number;
  /** How the shape relates to argpool's (layout change, 1-D as a height-1 image). */
  note: string;
}

export interface Workload {
  id: string;
  /** Human-readable: shape (logical N x C x spatial) and window. */
  title: string;
  shape: number[];
  layout: Layout;
  pool: PoolOptions & { kernelSize: number; stride: number; padding: number };
  /** Why TensorFlow.js cannot run it, or how it does. */
  tfjs: TfjsPlan | { na: string };
}

interface Spec {
  id: string;
  window: string;
  /** Logical [N, C, ...spatial] sizes, full and --quick. */
  full: number[];
  quick: number[];
  layout: Layout;
  kernel: number;
  stride: number;
  padding: number;
}

const SPECS: Spec[] = [
  { id: 'w1', window: '2x2/2', full: [1, 64, 256, 256], quick: [1, 16, 128, 128], layout: 'NCHW', kernel: 2, stride: 2, padding: 0 },
  { id: 'w2', window: '2x2/2', full: [1, 64, 512, 512], quick: [1, 16, 256, 256], layout: 'NCHW', kernel: 2, stride: 2, padding: 0 },
  { id: 'w3', window: '3x3/2 pad 1', full: [1, 128, 128, 128], quick: [1, 32, 64, 64], layout: 'NCHW', kernel: 3, stride: 2, padding: 1 },
  { id: 'w4', window: '2x2/2 NHWC', full: [8, 32, 128, 128], quick: [2, 32, 64, 64], layout: 'NHWC', kernel: 2, stride: 2, padding: 0 },
  { id: 'w5', window: '1-D k4/4', full: [1, 64, 65536], quick: [1, 16, 16384], layout: 'NCHW', kernel: 4, stride: 4, padding: 0 },
  { id: 'w6', window: '3-D 2x2x2/2', full: [1, 16, 64, 64, 64], quick: [1, 8, 32, 32, 32], layout: 'NCHW', kernel: 2, stride: 2, padding: 0 },
  { id: 'w7', window: 'global', full: [4, 256, 64, 64], quick: [1, 64, 32, 32], layout: 'NCHW', kernel: 64, stride: 64, padding: 0 },
];

export function workloads(quick: boolean): Workload[] {
  return SPECS.map((spec) => {
    const [n, c, ...spatial] = quick ? spec.quick : spec.full;
    const shape = spec.layout === 'NHWC' ? [n, ...spatial, c] : [n, c, ...spatial];
    const title = `${[n, c, ...spatial].join('x')} ${spec.window}`;
    let tfjs: Workload['tfjs'];
    if (spatial.length === 2) {
      tfjs = {
        shape: [n, spatial[0], spatial[1], c],
        filterSize: [spec.kernel, spec.kernel],
        strides: [spec.stride, spec.stride],
        pad: spec.padding === 0 ? 'valid' : spec.padding,
        note: spec.layout === 'NHWC' ? 'same layout' : 'run channels-last (NHWC), the only layout tfjs pools',
      };
    } else if (spatial.length === 1) {
      tfjs = {
        shape: [n, 1, spatial[0], c],
        filterSize: [1, spec.kernel],
        strides: [1, spec.stride],
        pad: spec.padding === 0 ? 'valid' : spec.padding,
        note: '1-D run as a height-1 NHWC image (tfjs has no 1-D argmax pooling)',
      };
    } else {
      tfjs = { na: 'tf.maxPoolWithArgmax is 2-D only' };
    }
    return {
      id: spec.id,
      title,
      shape,
      layout: spec.layout,
      pool: { kernelSize: spec.kernel, stride: spec.stride, padding: spec.padding, layout: spec.layout },
      tfjs,
    };
  });
}
