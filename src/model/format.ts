/** The text form of the model reports: what `npx argpool inspect` and `npx argpool run` print. */
import { showBytes } from './limits.js';
import type { Dimension, ModelReport, Placement, RunReport } from './report.js';

/** How each placement reads in text and in the page's tables. */
export const PLACEMENT_NAMES: Record<Placement, string> = {
  argpool: 'argpool',
  'ort-webgpu': 'ORT WebGPU',
  'ort-cpu': 'ORT CPU (wasm)',
  tfjs: 'tfjs',
};

/** A shape in brackets, symbolic dimensions by name, unknown ones as `?`; `?` for no shape at all. */
export function showShape(shape: readonly Dimension[] | null | undefined): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** An attribute's value in text: lists in brackets. */
export function showValue(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

/** A plain text table, columns left-aligned, two spaces apart. */
function table(header: string[], rows: string[][], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => indent + cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}


/** The report of an inspection as lines of text; `source` names the file. */
export function formatModelReport(report: ModelReport, source = ''): string[] {
  const lines: string[] = [];
  const kind = report.format === 'onnx' ? 'ONNX' : 'TF.js layers';
  lines.push(`argpool inspect${report.version ? ` ${report.version}` : ''}: ${source || report.model.name || 'model'} (${kind}, ${showBytes(report.model.bytes)})`);
  if (report.model.nodes > 0) {
    const by = report.model.producer ? `, by ${report.model.producer}` : '';
    lines.push(`model: ${report.model.name || '(unnamed)'}${by}; ${report.model.details}; ${plural(report.model.nodes, report.format === 'onnx' ? 'node' : 'layer')}`);
  }
  const tensors = (title: string, list: ModelReport['inputs']) => {
    if (list.length === 0) return;
    lines.push(`${title}:`);
    const symbolic = list.some((t) => t.resolvedShape && t.shape?.some((d) => typeof d !== 'number'));
    const rows = list.map((t) => [t.name, t.dtype, showShape(t.shape), ...(symbolic ? [t.resolvedShape && t.shape?.some((d) => typeof d !== 'number') ? showShape(t.resolvedShape) : ''] : [])]);
    lines.push(...table(['name', 'type', 'shape', ...(symbolic ? ['with the --dim values'] : [])], rows));
  };
  tensors('inputs', report.inputs);
  tensors('outputs', report.outputs);
  if (report.symbolicDims.length > 0) {
    lines.push(`symbolic dimensions: ${report.symbolicDims.map((d) => (report.dims[d] !== undefined ? `${d}=${report.dims[d]}` : d)).join(', ')}`);
  }
  if (report.pooling.length > 0) {
    lines.push(`pooling (${report.pooling.length}):`);
    lines.push(
      ...table(
        ['node', 'op', 'runs on', 'indices', 'input -> output'],
        report.pooling.map((p) => [p.name || p.label, p.op, PLACEMENT_NAMES[p.placement], p.indexFormat || '-', `${showShape(p.inputShape)} -> ${showShape(p.outputShape)}`]),
      ),
    );
    lines.push('attributes:');
    for (const p of report.pooling) {
      lines.push(`  ${p.name || p.label}: ${Object.entries(p.attributes).map(([k, v]) => `${k} ${showValue(v)}`).join(', ')}`);
    }
    lines.push('why:');
    const reasons = new Map<string, string[]>();
    for (const p of report.pooling) reasons.set(p.reason, [...(reasons.get(p.reason) ?? []), p.name || p.label]);
    for (const [reason, names] of reasons) lines.push(`  ${names.join(', ')}: ${reason}`);
  } else if (report.refusals.length === 0) {
    lines.push('pooling: none (no MaxPool or MaxUnpool node)');
  }
  if (report.steps.length > 0) {
    lines.push(`steps of a run (${report.steps.length}):`);
    lines.push(
      ...table(
        ['#', 'step', 'runs on', 'nodes', 'reads -> writes'],
        report.steps.map((s, i) => [
          String(i + 1),
          s.placement === 'argpool' ? s.label : `${s.label}: ${s.ops}`,
          PLACEMENT_NAMES[s.placement],
          String(s.nodes),
          `${s.inputs.join(', ') || '-'} -> ${s.outputs.join(', ') || '-'}`,
        ]),
      ),
    );
  }
  if (report.notes.length > 0) {
    lines.push('notes:');
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  if (report.refusals.length > 0) {
    lines.push(`refused (${report.refusals.length}):`);
    for (const r of report.refusals) {
      lines.push(`  ${r.message}`);
      if (r.attribute) lines.push(`    ${r.attribute}${r.value !== undefined ? ` = ${r.value}` : ''}`);
      lines.push(`    change: ${r.change}`);
    }
  }
  const l = report.limits;
  lines.push(
    `limits (${l.source}): model ${showBytes(l.maxModelBytes)}, one tensor ${showBytes(Math.min(l.maxBufferBytes, l.maxBindingBytes))}, ${l.maxWindowTaps.toLocaleString('en-US')} taps per window`,
  );
  if (report.canRun) {
    const onArgpool = report.pooling.filter((p) => p.placement === 'argpool').length;
    lines.push(`result: the model can run (${onArgpool} of ${plural(report.pooling.length, 'pooling node')} on argpool's kernels${report.format === 'onnx' ? `, ${plural(report.steps.filter((s) => s.placement.startsWith('ort')).length, 'ORT part')}` : ''})`);
  } else {
    lines.push(`result: the model cannot run (${plural(report.refusals.length, 'refusal')})`);
  }
  return lines;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A difference in text: exponent form for small ones. */
function difference(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value === 0 ? '0' : value < 1e-3 || value >= 1e4 ? value.toExponential(2) : value.toPrecision(3);
}

/** The report of a run as lines of text. */
export function formatRunReport(report: RunReport, source = ''): string[] {
  const lines: string[] = [];
  lines.push(`argpool run${report.version ? ` ${report.version}` : ''}: ${source || report.inspection.model.name} on ${report.environment}`);
  lines.push(`adapter: ${report.adapter}`);
  lines.push(`inputs: ${report.inputs.map((i) => `${i.name} ${showShape(i.shape)} ${i.dtype} (${i.source})`).join('; ')}`);
  const runs = report.engines[0]?.runsMs.length ?? 0;
  lines.push(`time per run (a first run, then the median of ${runs}; inputs from the CPU, outputs read back):`);
  lines.push(
    ...table(
      ['path', 'first ms', 'median ms', 'runs ms'],
      report.engines.map((e) => [e.label, ms(e.firstMs), ms(e.medianMs), e.runsMs.map(ms).join(' ')]),
    ),
  );
  lines.push('outputs, argpool against the reference:');
  lines.push(
    ...table(
      ['output', 'shape', 'max |difference|', 'max |reference|', 'labels equal', 'ok'],
      report.outputs.map((o) => [
        o.name,
        showShape(o.shape),
        difference(o.maxAbsDifference) + (o.nanMismatches ? ` (${o.nanMismatches} NaN mismatches)` : ''),
        difference(o.maxAbsReference),
        o.labels ? `${o.labels.equal} of ${o.labels.total} (${((100 * o.labels.equal) / Math.max(1, o.labels.total)).toFixed(3)} %, axis ${o.labels.axis})` : '-',
        o.withinTolerance ? 'yes' : o.ok ? 'yes, by labels' : 'NO',
      ]),
    ),
  );
  if (report.steps && report.steps.length > 0) {
    lines.push("the adapter step by step (runTimed: the GPU is waited on after each step):");
    lines.push(
      ...table(
        ['step', 'runs on', 'ms', 'argpool GPU ms'],
        report.steps.map((s) => [s.label, PLACEMENT_NAMES[s.placement], ms(s.ms), s.gpuMs === undefined ? '-' : s.gpuMs.toFixed(3)]),
      ),
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  const rule = `|difference| <= ${report.tolerance} x max(1, max |reference|), or at least ${100 * report.labelAgreement} % of labels equal`;
  lines.push(report.ok ? `result: the outputs agree (${rule})` : `result: MISMATCH: ${report.outputs.filter((o) => !o.ok).map((o) => o.name).join(', ')} (agreeing means ${rule})`);
  return lines;
}
