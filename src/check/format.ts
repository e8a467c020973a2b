/** The text form of a check report: what `argpool check` prints and the demo view shows. */
import type { CheckReport } from './run.js';

/** `conformance: N of N checks passed`, the line a report is judged by. */
export function conformanceLine(report: Pick<CheckReport, 'conformance'>): string {
  const { passed, total } = report.conformance;
  return `conformance: ${passed} of ${total} checks passed`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A plain text table with right-aligned columns after the first. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** The adapter's facts, one per line. */
export function adapterLines(report: CheckReport): string[] {
  const a = report.adapter;
  return [
    `adapter: vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}, description ${a.description || '?'}, isFallbackAdapter ${a.isFallbackAdapter ?? 'unknown'}`,
    `features: ${a.features.join(', ') || 'none'}`,
    `limits (adapter / argpool's device): ${Object.entries(a.limits)
      .map(([name, value]) => `${name} ${value}${a.deviceLimits[name] !== value ? ` / ${a.deviceLimits[name]}` : ''}`)
      .join(', ')}`,
    `launch profile: '${a.primaryProfile}'${a.primaryProfile === a.autoProfile ? ' (chosen for this adapter)' : ` (forced; argpool would choose '${a.autoProfile}')`}`,
  ];
}

/** The speed table as text lines. */
export function speedLines(report: CheckReport): string[] {
  const s = report.speed;
  if (!s) return ['speed: not measured'];
  const lines = [
    `speed on ${s.workload.join('x')} float32, median of ${s.repetitions} (argpool and the copy kernel by ${s.method}; copyBufferToBuffer by submit-to-done, ${s.copyBuffersPerSubmit} copies per submit):`,
    ...table(
      ['kernel', 'bytes', 'argpool ms', 'copy kernel ms', 'x copy kernel', 'copyBuffer ms', 'x copyBuffer'],
      s.rows.map((r) => [r.kernel, mib(r.bytes), fixed(r.ms, 3), fixed(r.copyKernelMs, 3), fixed(r.ratioToCopyKernel, 2), fixed(r.copyBufferMs, 3), fixed(r.ratioToCopyBuffer, 2)]),
    ).map((line) => `  ${line}`),
    `host: ${fixed(s.host.usPerOperation, 1)} µs per recorded operation (best of ${s.host.rounds.length} rounds: ${s.host.rounds.map((r) => fixed(r, 1)).join(', ')}; ${s.host.what})`,
  ];
  return lines;
}

/** Failures, each with its case. */
export function failureLines(report: CheckReport): string[] {
  const lines: string[] = [];
  for (const f of report.conformance.failures) {
    const { id, shape, pool, kind, seed, fill, dtype } = f.definition;
    lines.push(`FAIL ${f.id}: ${f.detail ?? ''}`);
    lines.push(`     case ${id}: ${JSON.stringify({ shape, pool, kind, seed, ...(fill ? { fill } : {}), ...(dtype ? { dtype } : {}) })}`);
  }
  return lines;
}

/** The whole report as printed by `argpool check`. */
export function formatReport(report: CheckReport): string[] {
  const c = report.conformance;
  return [
    `argpool check ${report.version} on ${report.environment}${report.options.quick ? ' (quick)' : ''}`,
    ...adapterLines(report),
    conformanceLine(report) + ` (${c.cases} cases on up to ${c.float16Storage === 'float16-native' ? 4 : 3} contexts, ${(c.durationMs / 1000).toFixed(1)} s)`,
    ...failureLines(report),
    ...c.skipped.map((s) => `skipped ${s.case}: ${s.reason}`),
    ...speedLines(report),
  ];
}
