/**
 * Launch shapes per adapter. Kernels that walk several rows per invocation amortise their addressing
 * over the rows, which pays where an invocation is expensive (a CPU emulation such as SwiftShader runs
 * each invocation as a loop iteration on a CPU core) and costs occupancy where invocations are cheap
 * and many run at once (a GPU keeps ~100k-300k threads resident). So the rows per invocation, and with
 * them the workgroup counts, come from a profile chosen from the adapter:
 *
 * - 'emulated' (fallback adapters: `isFallbackAdapter`, or SwiftShader, llvmpipe, lavapipe, WARP in the
 *   adapter info): up to 16 output rows per invocation in the tiled kernels and 32 input rows in the
 *   window gathers, halved while that leaves fewer than 16,384 invocations.
 * - 'gpu' (every other adapter): up to 4 rows, halved while that leaves fewer than 1,048,576
 *   invocations (several waves of a large GPU's resident threads).
 *
 * `ArgPool.create({ launchProfile })` and the record functions' `launchProfile` option force either.
 */

export type LaunchProfileName = 'emulated' | 'gpu';

export interface LaunchProfile {
  name: LaunchProfileName;
  /** Most output rows one invocation of a tiled kernel (max_pool_tiled, max_unpool_tiled) computes. */
  tiledRows: number;
  /** Most input rows one invocation of a window gather computes. */
  gatherRows: number;
  /** Rows per invocation halve while the launch would have fewer invocations than this. */
  minInvocations: number;
}

export const LAUNCH_PROFILES: Readonly<Record<LaunchProfileName, LaunchProfile>> = Object.freeze({
  emulated: Object.freeze({ name: 'emulated', tiledRows: 16, gatherRows: 32, minInvocations: 16_384 }),
  gpu: Object.freeze({ name: 'gpu', tiledRows: 4, gatherRows: 4, minInvocations: 1_048_576 }),
});

/** What the choice reads: `GPUAdapterInfo` fields, and `isFallbackAdapter` where the adapter has it. */
export interface AdapterDescription {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/i;

/** 'emulated' for fallback and known software adapters, 'gpu' for everything else (or no info). */
export function chooseLaunchProfile(info: AdapterDescription | undefined | null): LaunchProfile {
  if (!info) return LAUNCH_PROFILES.gpu;
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(text) ? LAUNCH_PROFILES.emulated : LAUNCH_PROFILES.gpu;
}

/** The profile for a device: its `adapterInfo` (where the implementation provides it). */
export function deviceLaunchProfile(device: GPUDevice): LaunchProfile {
  return chooseLaunchProfile((device as { adapterInfo?: AdapterDescription }).adapterInfo);
}

/** 'auto' or absent: from the device; a profile name forces that profile. */
export function resolveLaunchProfile(op: string, device: GPUDevice, choice: LaunchProfileName | 'auto' | undefined): LaunchProfile {
  if (choice === undefined || choice === 'auto') return deviceLaunchProfile(device);
  if (choice !== 'emulated' && choice !== 'gpu') {
    throw new TypeError(`${op}: launchProfile must be 'auto', 'emulated' or 'gpu', got ${JSON.stringify(choice)}`);
  }
  return LAUNCH_PROFILES[choice];
}

/** The most rows (up to `most`, halving) that keep `invocations(rows)` at the profile's minimum or more. */
export function rowsPerInvocation(most: number, minInvocations: number, invocations: (rows: number) => number): number {
  let rows = most;
  while (rows > 1 && invocations(rows) < minInvocations) rows /= 2;
  return rows;
}
