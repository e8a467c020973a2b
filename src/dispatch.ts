/**
 * Turns a number of invocations into a workgroup grid that respects the device's
 * maxComputeWorkgroupsPerDimension, keeping the grid close to the work (little overshoot).
 * Shaders rebuild the flat index as ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE
 * + local index, and return when it is past the end.
 */
export function dispatchGrid(
  invocations: number,
  workgroupSize: number,
  maxPerDimension: number,
  op = 'dispatch',
): [number, number, number] {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  const z = Math.ceil(groups / (maxPerDimension * maxPerDimension));
  if (z > maxPerDimension) {
    throw new RangeError(
      `${op}: ${invocations} invocations need ${groups} workgroups of ${workgroupSize}, more than ` +
        `maxComputeWorkgroupsPerDimension (${maxPerDimension}) cubed`,
    );
  }
  const perLayer = Math.ceil(groups / z);
  const y = Math.ceil(perLayer / maxPerDimension);
  const x = Math.ceil(perLayer / y);
  return [x, y, z];
}
