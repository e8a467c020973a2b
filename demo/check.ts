/**
 * The "Check this GPU" view (#check): argpool's conformance plan and speed table (src/check/, the
 * same plan `npx argpool check` runs in Node) on this browser's WebGPU adapter, with a progress bar,
 * the `conformance: N of N checks passed` line, the failures with their cases, the adapter's facts,
 * the speed table, a plot of the ratios and a "Download report" button (the same JSON as `--json`).
 *
 * `#check-status` carries data-state (idle | running | passed | failed | error), which the
 * end-to-end tests wait on.
 */
import packageJson from '../package.json?raw';
import { adapterLines, conformanceLine, failureLines, runCheck, type CheckProgress, type CheckReport, type ProfileName } from '../src/check/index';
import './check.css';
import { element as viewElement } from './views';

const element = <T extends HTMLElement>(id: string): T => viewElement<T>('check', id);

const ui = {
  form: element<HTMLFormElement>('check-controls'),
  quick: element<HTMLInputElement>('check-quick'),
  profile: element<HTMLSelectElement>('check-profile'),
  power: element<HTMLSelectElement>('check-power'),
  run: element<HTMLButtonElement>('check-run'),
  progress: element<HTMLProgressElement>('check-progress'),
  status: element<HTMLElement>('check-status'),
  line: element<HTMLOutputElement>('check-line'),
  failures: element<HTMLUListElement>('check-failures'),
  download: element<HTMLButtonElement>('check-download'),
  adapter: element<HTMLElement>('check-adapter'),
  banner: element<HTMLElement>('check-banner'),
  speed: element<HTMLTableElement>('check-speed'),
  speedCaption: element<HTMLElement>('check-speed-caption'),
  host: element<HTMLElement>('check-host'),
  plot: element<HTMLElement>('check-plot') as unknown as SVGSVGElement,
};

const VERSION = (JSON.parse(packageJson) as { version: string }).version;
/** Share of the progress bar the conformance plan fills; the speed table the rest. */
const CONFORMANCE_SHARE = 0.85;
const SPEED_STEPS = 7;

let report: CheckReport | null = null;

function setStatus(state: 'idle' | 'running' | 'passed' | 'failed' | 'error', text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showProgress(p: CheckProgress): void {
  const fraction = p.phase === 'conformance' ? (p.total ? p.done / p.total : 0) * CONFORMANCE_SHARE : CONFORMANCE_SHARE + (1 - CONFORMANCE_SHARE) * Math.min(1, p.done / SPEED_STEPS);
  ui.progress.value = fraction;
  const counts = p.phase === 'conformance' ? `case run ${p.done} of ${p.total}` : 'speed table';
  setStatus('running', `Running: ${counts}, ${p.passed} checks passed${p.failed ? `, ${p.failed} failed` : ''} · ${p.label}`);
}

function clear(): void {
  report = null;
  ui.download.disabled = true;
  ui.line.textContent = '';
  delete ui.line.dataset.result;
  ui.failures.replaceChildren();
  ui.adapter.textContent = '';
  ui.speed.tBodies[0].replaceChildren();
  ui.host.textContent = '';
  ui.plot.replaceChildren();
  ui.progress.value = 0;
}

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

function showSpeed(r: CheckReport): void {
  const s = r.speed;
  if (!s) return;
  ui.speedCaption.textContent =
    `Each kernel's GPU time on ${s.workload.join('×')} float32 (median of ${s.repetitions}) against copying the same bytes: ` +
    `argpool and the copy kernel by ${s.method}, copyBufferToBuffer by submit-to-done (${s.copyBuffersPerSubmit} copies per submit)`;
  for (const row of s.rows) {
    const tr = ui.speed.tBodies[0].insertRow();
    cell(tr, row.kernel);
    cell(tr, (row.bytes / 2 ** 20).toFixed(1));
    cell(tr, row.ms.toFixed(3));
    cell(tr, row.copyKernelMs.toFixed(3));
    cell(tr, row.ratioToCopyKernel.toFixed(2));
    cell(tr, row.copyBufferMs.toFixed(3));
    cell(tr, row.ratioToCopyBuffer.toFixed(2));
  }
  ui.host.textContent = `Host: ${s.host.usPerOperation.toFixed(1)} µs per recorded operation (best of ${s.host.rounds.length} rounds; ${s.host.what}).`;
  drawPlot(s.rows);
}

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars of each kernel's ratios to the two copies, on a log scale from 1 to the largest ratio. */
function drawPlot(rows: NonNullable<CheckReport['speed']>['rows']): void {
  const label = 210;
  const width = 560;
  const barHeight = 11;
  const rowHeight = 2 * barHeight + 10;
  const top = 24;
  const height = top + rows.length * rowHeight + 22;
  const largest = Math.max(10, ...rows.flatMap((r) => [r.ratioToCopyKernel, r.ratioToCopyBuffer]).filter(Number.isFinite));
  const decades = Math.ceil(Math.log10(largest));
  const x = (ratio: number) => label + ((width - label - 40) * Math.max(0, Math.log10(Math.max(ratio, 1)))) / decades;
  const plot = ui.plot;
  plot.replaceChildren();
  plot.setAttribute('viewBox', `0 0 ${width} ${height}`);
  plot.setAttribute('width', String(width));
  plot.setAttribute('height', String(height));
  const series = [
    { key: 'ratioToCopyKernel', name: '× copy kernel', colour: '#3b6fb6' },
    { key: 'ratioToCopyBuffer', name: '× copyBufferToBuffer', colour: '#d08c2f' },
  ] as const;
  series.forEach((s, i) => {
    plot.append(svg('rect', { x: label + i * 170, y: 4, width: 10, height: 10, fill: s.colour }));
    plot.append(svg('text', { x: label + i * 170 + 14, y: 13 }, s.name));
  });
  for (let d = 0; d <= decades; d++) {
    const at = x(10 ** d);
    plot.append(svg('line', { x1: at, x2: at, y1: top - 4, y2: height - 18, stroke: '#ccc' }));
    plot.append(svg('text', { x: at, y: height - 4, 'text-anchor': 'middle' }, `${10 ** d}`));
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    plot.append(svg('text', { x: label - 6, y: y + barHeight + 4, 'text-anchor': 'end' }, row.kernel));
    series.forEach((s, j) => {
      const ratio = row[s.key];
      const bar = svg('rect', {
        x: label,
        y: y + j * barHeight,
        width: Math.max(1, x(ratio) - label),
        height: barHeight - 1,
        fill: s.colour,
        'data-testid': 'check-plot-bar',
        'data-ratio': ratio,
      });
      bar.append(svg('title', {}, `${row.kernel}: ${ratio.toFixed(2)} ${s.name}`));
      plot.append(bar);
      plot.append(svg('text', { x: x(ratio) + 4, y: y + j * barHeight + barHeight - 2 }, ratio.toFixed(1)));
    });
  });
}

function showReport(r: CheckReport): void {
  report = r;
  ui.progress.value = 1;
  ui.line.textContent = conformanceLine(r);
  ui.line.dataset.result = r.ok ? 'passed' : 'failed';
  const failures = failureLines(r);
  for (let i = 0; i < failures.length; i += 2) {
    const item = document.createElement('li');
    item.textContent = `${failures[i]}\n${failures[i + 1].trim()}`;
    ui.failures.append(item);
  }
  ui.adapter.textContent = [`${r.environment}`, ...adapterLines(r), ...r.conformance.skipped.map((s) => `skipped ${s.case}: ${s.reason}`)].join('\n');
  showSpeed(r);
  ui.download.disabled = false;
  const seconds = (r.conformance.durationMs / 1000).toFixed(1);
  setStatus(r.ok ? 'passed' : 'failed', r.ok ? `Done: every check passed (${seconds} s for the conformance plan).` : `Done: ${r.conformance.failures.length} checks failed; download the report and send it.`);
}

async function run(): Promise<void> {
  clear();
  ui.banner.hidden = true;
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) {
    ui.banner.textContent = 'WebGPU is not available in this browser (no navigator.gpu): there is nothing to check. Try a browser with WebGPU, served over https or from localhost.';
    ui.banner.hidden = false;
    setStatus('error', 'No WebGPU.');
    return;
  }
  ui.run.disabled = true;
  setStatus('running', 'Starting…');
  try {
    const result = await runCheck({
      gpu,
      quick: ui.quick.checked,
      profile: (ui.profile.value || undefined) as ProfileName | undefined,
      powerPreference: (ui.power.value || undefined) as GPUPowerPreference | undefined,
      environment: navigator.userAgent,
      version: VERSION,
      onProgress: showProgress,
    });
    showReport(result);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    ui.banner.textContent = /no WebGPU adapter/.test(text)
      ? 'The browser offers WebGPU but found no adapter: its GPU may be blocked (see chrome://gpu) or WebGPU disabled.'
      : `The check could not run: ${text}`;
    ui.banner.hidden = false;
    setStatus('error', 'The check could not run.');
  } finally {
    ui.run.disabled = false;
  }
}

function downloadReport(): void {
  if (!report) return;
  const blob = new Blob([`${JSON.stringify(report, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `argpool-check-${report.date.replace(/[:.]/g, '-')}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function startCheck(): void {
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  ui.download.addEventListener('click', downloadReport);
  // Enabled only now: a click before the handler is attached would submit the form and reload the page.
  ui.run.disabled = false;
}
