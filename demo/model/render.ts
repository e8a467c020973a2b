/**
 * The "Your model" view's tables: an inspection (src/model/report.ts) and a run, drawn from the same
 * report objects that `npx argpool inspect` and `run` print, with the same words for placements.
 */
import { PLACEMENT_NAMES, showShape, showValue } from '../../src/model/format';
import type { ModelReport, RunReport } from '../../src/model/report';

function row(table: HTMLTableElement, cells: string[], attributes: Record<string, string> = {}): HTMLTableRowElement {
  const tr = table.tBodies[0].insertRow();
  for (const [key, value] of Object.entries(attributes)) tr.dataset[key] = value;
  for (const text of cells) tr.insertCell().textContent = text;
  return tr;
}

function reset(table: HTMLTableElement, show: boolean): void {
  table.tBodies[0].replaceChildren();
  table.hidden = !show;
}

export interface ReportElements {
  summary: HTMLOutputElement;
  refusals: HTMLUListElement;
  inputs: HTMLTableElement;
  pooling: HTMLTableElement;
  steps: HTMLTableElement;
  notes: HTMLUListElement;
}

/** The inspection as a summary line, the refusals, and the tables of tensors, pooling nodes and steps. */
export function renderInspection(report: ModelReport, ui: ReportElements, source: string): void {
  const kind = report.format === 'onnx' ? 'ONNX' : 'TF.js layers';
  const onArgpool = report.pooling.filter((p) => p.placement === 'argpool').length;
  const parts = report.steps.filter((s) => s.placement.startsWith('ort')).length;
  ui.summary.dataset.canRun = String(report.canRun);
  ui.summary.dataset.result = report.canRun ? 'passed' : 'failed';
  ui.summary.textContent = report.canRun
    ? `${source} (${kind}) can run: ${onArgpool} of ${report.pooling.length} pooling nodes on argpool's kernels${report.format === 'onnx' ? `, ${parts} ORT parts` : ''}.`
    : `${source} (${kind}) cannot run: ${report.refusals.length} refusal${report.refusals.length === 1 ? '' : 's'}.`;
  ui.refusals.replaceChildren(
    ...report.refusals.map((r) => {
      const item = document.createElement('li');
      item.dataset.where = r.where;
      const message = document.createElement('div');
      message.className = 'model-refusal-message';
      message.textContent = r.message;
      item.append(message);
      if (r.attribute) {
        const what = document.createElement('div');
        what.textContent = `${r.attribute}${r.value !== undefined ? ` = ${r.value}` : ''}`;
        item.append(what);
      }
      const change = document.createElement('div');
      change.className = 'model-refusal-change';
      change.textContent = `Change: ${r.change}`;
      item.append(change);
      return item;
    }),
  );
  reset(ui.inputs, report.inputs.length + report.outputs.length > 0);
  for (const [kindName, list] of [['input', report.inputs], ['output', report.outputs]] as const) {
    for (const t of list) row(ui.inputs, [t.name, kindName, t.dtype, showShape(t.shape), t.resolvedShape ? showShape(t.resolvedShape) : '–']);
  }
  reset(ui.pooling, report.pooling.length > 0);
  for (const p of report.pooling) {
    const attributes = Object.entries(p.attributes).map(([k, v]) => `${k} ${showValue(v)}`).join(', ');
    row(ui.pooling, [p.name || p.label, p.op, PLACEMENT_NAMES[p.placement], attributes, p.indexFormat || '–', `${showShape(p.inputShape)} → ${showShape(p.outputShape)}`, p.reason], { placement: p.placement });
  }
  reset(ui.steps, report.steps.length > 0);
  report.steps.forEach((s, i) =>
    row(ui.steps, [String(i + 1), s.placement === 'argpool' ? s.label : `${s.label}: ${s.ops}`, PLACEMENT_NAMES[s.placement], String(s.nodes), `${s.inputs.join(', ') || '–'} → ${s.outputs.join(', ') || '–'}`], { placement: s.placement }),
  );
  const l = report.limits;
  ui.notes.replaceChildren(
    ...[
      ...report.notes,
      `Limits (${l.source}): model ${(l.maxModelBytes / 2 ** 20).toFixed(0)} MiB, one tensor ${(Math.min(l.maxBufferBytes, l.maxBindingBytes) / 2 ** 20).toFixed(0)} MiB, ${l.maxWindowTaps.toLocaleString('en-US')} taps per window.`,
    ].map((note) => {
      const item = document.createElement('li');
      item.textContent = note;
      return item;
    }),
  );
}

/** Clears every table of the inspection. */
export function clearInspection(ui: ReportElements): void {
  ui.summary.textContent = '';
  delete ui.summary.dataset.canRun;
  delete ui.summary.dataset.result;
  ui.refusals.replaceChildren();
  ui.notes.replaceChildren();
  for (const table of [ui.inputs, ui.pooling, ui.steps]) reset(table, false);
}

export interface RunElements {
  times: HTMLTableElement;
  outputs: HTMLTableElement;
  steps: HTMLTableElement;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A run: each path's times, each output's comparison, and the adapter's steps. */
export function renderRun(run: RunReport, ui: RunElements): void {
  reset(ui.times, true);
  for (const e of run.engines) row(ui.times, [e.label, ms(e.firstMs), ms(e.medianMs), e.runsMs.map(ms).join(' ')], { role: e.role });
  reset(ui.outputs, true);
  for (const o of run.outputs) {
    const labels = o.labels ? `${o.labels.equal} of ${o.labels.total} (${((100 * o.labels.equal) / Math.max(1, o.labels.total)).toFixed(3)} %)` : '–';
    const difference = o.maxAbsDifference === 0 ? '0' : o.maxAbsDifference < 1e-3 ? o.maxAbsDifference.toExponential(2) : o.maxAbsDifference.toPrecision(3);
    row(ui.outputs, [o.name, showShape(o.shape), difference, o.maxAbsReference.toPrecision(3), labels, o.withinTolerance ? 'yes' : o.ok ? 'yes, by labels' : 'no'], { ok: String(o.ok) });
  }
  reset(ui.steps, !!run.steps?.length);
  for (const s of run.steps ?? []) row(ui.steps, [s.label, PLACEMENT_NAMES[s.placement], ms(s.ms), s.gpuMs === undefined ? '–' : s.gpuMs.toFixed(3)], { placement: s.placement });
}

export function clearRun(ui: RunElements): void {
  for (const table of [ui.times, ui.outputs, ui.steps]) reset(table, false);
}
