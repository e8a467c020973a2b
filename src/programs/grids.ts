/**
 * Launch shapes that several programs share: a flat count folded into a grid, workgroup shapes, and
 * the row-group grid of the kernels that take four columns of several rows per invocation; and the
 * geometric facts their `applies` test (windows that tile the input, the ResNet stem's windows).
 */
import { dispatchGrid } from '../dispatch.js';
import { rowsPerInvocation, type LaunchProfile } from '../launch.js';
import { product, type PoolGeometry } from '../options.js';
import type { Launch, PlanLimits } from './program.js';

/** Invocations per workgroup of the kernels that take one invocation per item of a flat count. */
export const WORKGROUP_SIZE = 64;

/** One invocation per item of a flat count, folded into a 1-, 2- or 3-D grid within the limits. */
export function flatLaunch(op: string, invocations: number, limits: PlanLimits, constants: Record<string, number> = {}): Launch {
  return { grid: dispatchGrid(invocations, WORKGROUP_SIZE, limits.maxComputeWorkgroupsPerDimension, op), constants: { WORKGROUP_SIZE, ...constants } };
}

/** Workgroup width (a power of two up to 64) for `count` items along x; the rest of 64 goes to y. */
export function workgroupShape(count: number): { WORKGROUP_X: number; WORKGROUP_Y: number } {
  const x = Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, count))));
  return { WORKGROUP_X: x, WORKGROUP_Y: 64 / x };
}

/** Elements of a [batch, channels, ...spatial] tensor. */
export function elements(g: { batch: number; channels: number }, spatial: readonly number[]): number {
  return g.batch * g.channels * product(spatial);
}

/**
 * The grid of a kernel that takes four columns of several rows per invocation: `groupsPerRow` groups
 * of four columns across x, rows (the launch profile's tiled rows, fewer where that would leave fewer
 * invocations than the profile wants) down y, `planes` along z. Null where it does not fit.
 */
export function rowGroupsGrid(
  groupsPerRow: number,
  height: number,
  planes: number,
  maxPerDimension: number,
  launch: LaunchProfile,
): { grid: [number, number, number]; constants: { WORKGROUP_X: number; WORKGROUP_Y: number; ROWS: number } } | null {
  const rows = rowsPerInvocation(launch.tiledRows, launch.minInvocations, (r) => groupsPerRow * Math.ceil(height / r) * planes);
  const shape = workgroupShape(groupsPerRow);
  const grid: [number, number, number] = [Math.ceil(groupsPerRow / shape.WORKGROUP_X), Math.ceil(height / (rows * shape.WORKGROUP_Y)), planes];
  return grid.some((n) => n > maxPerDimension) ? null : { grid, constants: { ...shape, ROWS: rows } };
}

/** Whether the windows tile the input exactly: stride = kernel, no padding or dilation, each input size its output size times the kernel. */
export function windowsTile(g: PoolGeometry): boolean {
  return g.kernel.every((k, i) => g.stride[i] === k && g.dilation[i] === 1 && g.padBegin[i] === 0 && g.padEnd[i] === 0 && g.inSpatial[i] === g.outSpatial[i] * k);
}

/** Whether dimension i has the ResNet stem's windows: 3 wide, stride 2, padding 1 before, dilation 1. */
export function stemWindows(g: PoolGeometry, i: number): boolean {
  return g.kernel[i] === 3 && g.stride[i] === 2 && g.padBegin[i] === 1 && g.dilation[i] === 1;
}

/** The pooling kernels' NAN_RULE override for each NaN rule (NAN_PROPAGATE, ... in layout.wgsl). */
export const NAN_RULE_CODES = { propagate: 0, ignore: 1, first: 2 } as const;

/** A pooling kernel's NAN_RULE constant for its geometry. */
export function nanRule(g: PoolGeometry): { NAN_RULE: number } {
  return { NAN_RULE: NAN_RULE_CODES[g.nan] };
}
