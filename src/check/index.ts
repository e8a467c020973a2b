/**
 * The check of argpool on the adapter at hand: a conformance plan against the CPU reference and a speed
 * table. `npx argpool check` (bin/argpool.js) runs it in Node; the demo's "Check this GPU" view in the
 * browser.
 */
export { runCheck, NoAdapterError, type CheckOptions, type CheckProgress, type CheckReport, type CheckResult, type Failure, type AdapterReport, type ConformanceReport, type ProfileName } from './run.js';
export { conformancePlan, type CheckCase, type ContextName, type PlanOptions } from './plan.js';
export { adapterLines, conformanceLine, failureLines, formatReport, speedLines } from './format.js';
export type { SpeedReport, SpeedRow, HostTiming } from './speed.js';
