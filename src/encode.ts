/**
 * Encoding: records a plan (src/plan.ts) into a command encoder. Every check happened in planning and
 * in the caller's buffer check, so nothing here throws: the pass that begins here always ends here,
 * and the encoder stays usable for later work. What only the GPU can reject (validation,
 * out-of-memory) goes to the device's error scopes.
 */
import type { OperationPlan } from './plan.js';
import { getPipeline } from './pipelines.js';

/** Records `plan` with `buffers` by role (callers' and scratch); uniforms are written on the queue. */
export function encodePlan(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  plan: OperationPlan,
  buffers: Readonly<Record<string, GPUBuffer>>,
  timestampWrites?: GPUComputePassTimestampWrites,
): void {
  const sizes = new Map<string, number>();
  for (const need of plan.needs) sizes.set(need.role, need.bytes);
  for (const s of plan.scratch) {
    sizes.set(s.role, s.bytes);
    if (s.uniform) device.queue.writeBuffer(buffers[s.role], 0, s.uniform);
  }
  for (const clear of plan.clears) encoder.clearBuffer(buffers[clear.role], 0, clear.bytes);
  const pass = encoder.beginComputePass({ label: plan.op, timestampWrites });
  for (const program of plan.programs) {
    const pipeline = getPipeline(device, program);
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        label: program.label,
        layout: pipeline.getBindGroupLayout(0),
        // Bind the bytes the operation uses, not the whole buffer: a caller's buffer may be larger
        // than the binding limit that the plan checked.
        entries: program.bindings.map((role, binding) => ({ binding, resource: { buffer: buffers[role], size: sizes.get(role) } })),
      }),
    );
    pass.dispatchWorkgroups(...program.grid);
  }
  pass.end();
}
