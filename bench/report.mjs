// Turns the page's results (see BenchResults in page.ts) into bench/results.md and bench/chart.svg.
// Pure functions of the results object: `node -e` can re-render from a saved results.json:
//   node -e "import('./bench/report.mjs').then(r => console.log(r.renderMarkdown(JSON.parse(require('fs').readFileSync('bench/results.json')))))"

const OP_NAMES = { pool: 'pool', unpool: 'unpool', grad: 'pool gradient' };

const isNa = (m) => m == null || (typeof m === 'object' && 'na' in m);

function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function fmtRatio(a, b) {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return r < 0.1 ? r.toFixed(3) : r < 10 ? r.toFixed(2) : r.toFixed(1);
}

function gbps(bytes, ms) {
  if (ms == null || !Number.isFinite(ms) || ms <= 0) return 'n/a';
  return (bytes / (ms * 1e6)).toFixed(2);
}

/** A submit-to-done time, with the number of ops batched per submission when more than one. */
function fmtSubmit(timing) {
  if (!timing) return 'n/a';
  const k = timing.opsPerSubmit ?? 1;
  return k > 1 ? `${fmtMs(timing.medianMs)} (k=${k})` : fmtMs(timing.medianMs);
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

/** Linux's cache size text ("491520K", "32M") in bytes, or null. */
function parseCacheSize(text) {
  const match = /^(\d+)\s*([KMG]?)$/i.exec(String(text ?? '').trim());
  if (!match) return null;
  return Number(match[1]) * { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[match[2].toUpperCase()];
}
const med = (timing) => (timing ? timing.medianMs : null);

/** The times the page measured for one op, or null where there is none. */
export function timesOf(r) {
  const argpool = isNa(r.argpool) ? null : r.argpool;
  const tfw = isNa(r.tfjsWebgpu) ? null : r.tfjsWebgpu;
  const tfc = isNa(r.tfjsCpu) ? null : r.tfjsCpu;
  const cpu = isNa(r.cpuReference) ? null : r.cpuReference;
  return {
    argpoolTs: med(argpool?.timestamp),
    argpoolSubmit: med(argpool?.submit),
    copySubmit: med(r.limit?.copySubmit),
    copyKernelTs: med(r.limit?.copyKernelTimestamp),
    tfjsWebgpuTs: med(tfw?.timestamp),
    tfjsWebgpuSubmit: med(tfw?.submit),
    tfjsCpu: med(tfc?.wall),
    tfjsCpuReps: tfc?.wall?.reps ?? null,
    cpuRef: med(cpu),
    cpuRefReps: cpu?.reps ?? null,
  };
}

function naReason(m) {
  return isNa(m) ? (m?.na ?? 'not measured') : null;
}

function adapterLine(results) {
  const a = results.adapter;
  const parts = [`vendor \`${a.vendor || '?'}\``, `architecture \`${a.architecture || '?'}\``, `description \`${a.description || '(empty)'}\``];
  if (a.device) parts.push(`device \`${a.device}\``);
  if (a.isFallbackAdapter !== null) parts.push(`isFallbackAdapter ${a.isFallbackAdapter}`);
  return parts.join(', ');
}

function isSwiftShader(results) {
  const a = results.adapter;
  return /swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.description} ${a.device}`);
}

export function renderMarkdown(results) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(`# argpool benchmark${results.quick ? ' (QUICK: small sizes, few repetitions)' : ''}${results.only ? ` (only "${results.only}")` : ''}`, '');
  push(`- Date: ${results.date}`);
  push(`- Browser: Chromium ${results.browser?.version ?? '?'} (headless, \`${results.browser?.executable ?? '?'}\`, flags as in scripts/environment.mjs)`);
  push(`- WebGPU adapter (argpool): ${adapterLine(results)}; timestamp-query: ${results.timestampQuery ? 'yes' : 'no'}`);
  if (results.tfjsAdapter) {
    const t = results.tfjsAdapter;
    push(`- WebGPU adapter (tfjs-backend-webgpu's own device, same page): vendor \`${t.vendor}\`, architecture \`${t.architecture}\`, description \`${t.description || '(empty)'}\``);
  }
  if (isSwiftShader(results)) {
    push(
      '- **SwiftShader is a CPU emulation of a GPU** (Vulkan on the host CPU, here a 2-core machine). Absolute times say little ' +
        'about real GPUs; the ratios to the copy limit on the same adapter are the meaningful part, and even those ' +
        'reflect a CPU memory system and SwiftShader\'s compiler, not GPU hardware.',
    );
  }
  push(`- Repetitions: GPU timings are medians of ${results.reps.gpu} runs after ${results.reps.gpuWarmup} warm-up runs ` +
    `(the copy limit: ${results.reps.copy ?? '?'} after ${results.reps.copyWarmup ?? '?'}; the different methods for one op run interleaved, round by round). ` +
    `CPU timings (argpool's CPU reference, tfjs-cpu) are medians of ${results.reps.cpuMin} to ${results.reps.cpuMax} runs ` +
    `(more while under ${results.reps.cpuBudgetMs / 1000} s; the count is shown next to each) after one warm-up.`);
  push(`- ap.maxPoolBackward: ${results.gradientAvailable ? 'available' : '**not available** in this build (gradient rows: not available)'}; gradient check tolerance: ${results.gradientTolerance}.`);
  push(`- Whole run: ${results.wallSeconds ? `${results.wallSeconds.toFixed(0)} s` : '?'} wall (page part ${(results.totalMs / 1000).toFixed(0)} s).`);
  const m = results.machine;
  if (m) {
    const busy = m.loadAverage1mMax > m.cpus;
    const cacheBytes = parseCacheSize(m.lastLevelCache);
    const largestTraffic = Math.max(0, ...results.ops.map((r) => r.bytesRead + r.bytesWritten));
    push(
      `- Machine: ${m.cpus} CPUs${m.cpuModel ? ` (${m.cpuModel})` : ''}${cacheBytes ? `, largest CPU cache ${mib(cacheBytes)} MiB` : ''}; 1-minute load average during the run: mean ${m.loadAverage1mMean.toFixed(1)}, max ${m.loadAverage1mMax.toFixed(1)} ` +
        `(${m.samples} samples).${busy ? ' **Other work shared the CPUs during this run** (SwiftShader runs on those CPUs too): expect noise, compare ratios from the same row.' : ''}`,
    );
    if (cacheBytes && largestTraffic && largestTraffic <= cacheBytes && isSwiftShader(results)) {
      push(
        `- Every workload's bytes (at most ${mib(largestTraffic)} MiB) fit in that CPU cache, so on this SwiftShader adapter the ` +
          '"memory-bound" copy limit is a cache-bandwidth limit (a batched copy moves about 30 GB/s here), not DRAM.',
      );
    }
  }
  push('');

  push('## How it is measured', '');
  push(
    '- **argpool, timestamps**: `ap.measure(() => op)`: timestamp queries at the start and end of each operation\'s compute pass ' +
      '(GPU time of the passes only; commands outside a compute pass, such as a `clearBuffer`, are not in it).',
    '- **argpool, submit→done**: the op is recorded, then the wall time of `ap.sync()` (finish + submit + `onSubmittedWorkDone`).',
    '- **Every submit→done time** (argpool, copy, tfjs webgpu) is per operation with k operations recorded back to back into one ' +
      'submission, divided by k; k grows (at least doubling) until one submission takes 20 ms or more (k = 1 for anything ' +
      'slower; shown as "(k=…)" where k > 1; the outputs of one batch are capped at 256 MiB). Reason: here `onSubmittedWorkDone` ' +
      'resolves no sooner than about 2.2 ms after the submit however little work there is, so a single 12 MiB copy read as ' +
      '2.26 ms against 0.9 ms per copy in a batch. tfjs\'s own every-N-dispatches submit is turned off while it is timed, so its ' +
      'batch also waits for the one timed submit.',
    '- **copy limit**: the same traffic as a copy. The op must read R and write W bytes (each element once: pooling reads the input and ' +
      'writes values + indices; unpooling reads values + indices and writes the output; the gradient reads gradOutput + indices and ' +
      'writes gradInput). A copy of S bytes reads S and writes S, so the limit copies S = (R + W) / 2 bytes: ' +
      '`copyBufferToBuffer` timed submit→done (compare with argpool submit→done), and a trivial compute copy kernel ' +
      '(`src/check/copy.wgsl`, one vec4 per invocation) timed with timestamp queries (compare with argpool timestamps). ' +
      'WebGPU cannot put timestamps around a copy command, hence the two. The host CPU\'s cache holds 32 MiB, and a copy repeated on ' +
      'one buffer smaller than that measures the cache (a 12 MiB copy repeated read 77 GB/s; 128 MiB copies ~30 GB/s): the copies ' +
      'therefore rotate among several source/destination pairs spanning at least 64 MiB (column "copy pairs"), so each copy reads ' +
      'memory the previous ones evicted. Both ratio columns name their floor: **argpool/limit (s→d)** is against ' +
      '`copyBufferToBuffer`, **argpool/copy kernel (ts)** against the compute copy kernel. argpool itself repeats on the same ' +
      'tensors, so for workloads under 32 MiB it may run from the cache while its floor does not.',
    '- **tfjs webgpu**: TensorFlow.js 4.22 on its WebGPU backend, its own device on the same adapter in the same page, NHWC. ' +
      'Timestamps: `(await tf.time(fn)).kernelMs` (its per-program timestamp queries, summed). Submit→done: op recorded, then ' +
      '`backend.submitQueue()` + `onSubmittedWorkDone`. Pooling: `tf.maxPoolWithArgmax` (two programs: values, then positions). ' +
      'Unpooling: the recipe TF users write, `tf.scatterND(flat argmax as [N,1], pooled values, [size])` (a fill and a scatter; it ' +
      'sums duplicate indices where argpool keeps the last). Gradient: the `MaxPoolGrad` kernel that `tf.grad` of `tf.maxPool` runs.',
    '- **tfjs cpu**: the same ops on TensorFlow.js\'s CPU backend, wall time of op + `await data()`.',
    '- **CPU reference**: argpool\'s `cpu.maxPool` / `cpu.maxUnpool` / `cpu.maxPoolBackward` (plain JS loops) in the same page, ' +
      '`performance.now()`. Its outputs are the correctness gate: pooling values and indices and unpooling outputs must match bit ' +
      'for bit, the gradient within the tolerance above; a mismatch makes `npm run bench` exit 1.',
    '- Ratios are argpool / other: below 1 means argpool is faster. Bandwidth = (R + W) / time, in GB/s (10^9 bytes).',
    '- The data are seeded pseudo-random floats in [-1, 1); tfjs gets the same array viewed as NHWC (timing only).',
    '',
  );

  push('## argpool against the copy limit', '');
  push(
    '| workload | op | R+W MiB | argpool ts ms | argpool s→d ms | GB/s (ts) | GB/s (s→d) | copy kernel ts ms | copy s→d ms | copy pairs (MiB spanned) | **argpool/limit (s→d)** | argpool/copy kernel (ts) | check |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of results.ops) {
    const t = timesOf(r);
    const bytes = r.bytesRead + r.bytesWritten;
    const na = naReason(r.argpool);
    const check = r.error ? `ERROR: ${r.error}` : r.check ? (r.check.ok ? r.check.detail : `**MISMATCH**: ${r.check.detail}`) : na ? `— (${na})` : '—';
    push(
      `| ${r.workload} ${r.title}${r.layout === 'NHWC' ? ' (NHWC)' : ''} | ${OP_NAMES[r.op]} | ${mib(bytes)} | ${fmtMs(t.argpoolTs)} | ${isNa(r.argpool) ? 'n/a' : fmtSubmit(r.argpool.submit)} | ` +
        `${gbps(bytes, t.argpoolTs)} | ${gbps(bytes, t.argpoolSubmit)} | ${fmtMs(t.copyKernelTs)} | ${fmtSubmit(r.limit?.copySubmit)} | ` +
        `${r.limit?.pairs ? `${r.limit.pairs} (${mib(r.limit.bytesTouched)})` : '1'} | ` +
        `**${fmtRatio(t.argpoolSubmit, t.copySubmit)}** | ${fmtRatio(t.argpoolTs, t.copyKernelTs)} | ${check.replace(/\|/g, '\\|')} |`,
    );
  }
  push('');

  const windowRows = results.ops.filter((r) => r.windowIndices);
  if (windowRows.length) {
    push("## Unpooling from 'window' indices", '');
    push(
      "The same unpooling from the same pooling's indices, stored as int32 (`indexFormat: 'spatial'`) or as `'window'` taps " +
        '(uint8, one byte each, four to a word). Same run. Taps from a known pooling go straight to the kernel that unpools ' +
        '(the tiled kernel where windows tile the input, the scatter otherwise), which reads them as they are; only taps of ' +
        'unknown origin are unpacked into spatial indices first.',
      '',
      '| workload | int32 indices MiB | window indices MiB | unpool ts ms (int32) | unpool ts ms (window) | window/int32 (ts) | unpool s→d ms (int32) | unpool s→d ms (window) | check |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of windowRows) {
      const w = r.windowIndices;
      const t = timesOf(r);
      if (isNa(w)) {
        push(`| ${r.workload} ${r.title} | n/a (${naReason(w)}) | | | | | | | |`);
        continue;
      }
      const windowTs = w.timestamp?.medianMs;
      push(
        `| ${r.workload} ${r.title}${r.layout === 'NHWC' ? ' (NHWC)' : ''} | ${(w.int32Bytes / 2 ** 20).toFixed(2)} | ${(w.windowBytes / 2 ** 20).toFixed(2)} | ${fmtMs(t.argpoolTs)} | ${fmtMs(windowTs)} | ` +
          `${fmtRatio(windowTs, t.argpoolTs)} | ${isNa(r.argpool) ? 'n/a' : fmtSubmit(r.argpool.submit)} | ${fmtSubmit(w.submit)} | ${w.check.ok ? w.check.detail : `**MISMATCH**: ${w.check.detail}`} |`,
      );
    }
    push('');
  }

  const halfRows = results.float16 ?? [];
  if (halfRows.length) {
    push('## float16', '');
    push(
      'The same operations on float16 tensors (the input and output gradient rounded to float16; indices stay int32), ' +
        'same run. The floor is the copy kernel of the float16 traffic; float16/float32 compares with the float32 row ' +
        'above (timestamps). Checked against the CPU reference on the float16 bits (pooling and unpooling bit for bit, ' +
        'the gradient, summed in float32 in another order and rounded once, within one float16 rounding).',
      '',
      '| workload | op | R+W MiB | float16 ts ms | float16 s→d ms | copy kernel ts ms | float16/copy kernel (ts) | float32 ts ms | float16/float32 (ts) | check |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const h of halfRows) {
      const float32 = results.ops.find((r) => r.workload === h.workload && r.op === h.op);
      const f32Ts = float32 ? timesOf(float32).argpoolTs : null;
      const ts = isNa(h.argpool) ? null : med(h.argpool.timestamp);
      const copyTs = med(h.limit?.copyKernelTimestamp);
      const na = naReason(h.argpool);
      const check = h.error ? `ERROR: ${h.error}` : h.check ? (h.check.ok ? h.check.detail : `**MISMATCH**: ${h.check.detail}`) : na ? `— (${na})` : '—';
      push(
        `| ${h.workload} ${h.title}${h.layout === 'NHWC' ? ' (NHWC)' : ''} | ${OP_NAMES[h.op]} | ${mib(h.bytesRead + h.bytesWritten)} | ${fmtMs(ts)} | ` +
          `${isNa(h.argpool) ? 'n/a' : fmtSubmit(h.argpool.submit)} | ${fmtMs(copyTs)} | ${fmtRatio(ts, copyTs)} | ${fmtMs(f32Ts)} | ${fmtRatio(ts, f32Ts)} | ${check.replace(/\|/g, '\\|')} |`,
      );
    }
    push('');
  }

  push('## argpool against the alternatives', '');
  push(
    '| workload | op | argpool ts ms | tfjs webgpu ts ms | argpool/tfjs-webgpu (ts) | argpool s→d ms | tfjs webgpu s→d ms | argpool/tfjs-webgpu (s→d) | CPU ref ms (reps) | argpool s→d / CPU ref | tfjs cpu ms (reps) | argpool s→d / tfjs cpu |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const notes = new Map();
  const noteFor = (text) => {
    if (!text) return '';
    if (!notes.has(text)) notes.set(text, notes.size + 1);
    return ` [${notes.get(text)}]`;
  };
  for (const r of results.ops) {
    const t = timesOf(r);
    const tfwNa = naReason(r.tfjsWebgpu);
    const tfcNa = naReason(r.tfjsCpu);
    const cpuNa = naReason(r.cpuReference);
    const apNa = naReason(r.argpool);
    const cell = (value, na) => (value != null ? fmtMs(value) : `n/a${noteFor(na)}`);
    const submitCell = (m, na) => (m ? fmtSubmit(m.submit) : `n/a${noteFor(na)}`);
    push(
      `| ${r.workload} ${r.title}${r.layout === 'NHWC' ? ' (NHWC)' : ''} | ${OP_NAMES[r.op]} | ${cell(t.argpoolTs, apNa)} | ${cell(t.tfjsWebgpuTs, tfwNa)} | ` +
        `${fmtRatio(t.argpoolTs, t.tfjsWebgpuTs)} | ${submitCell(isNa(r.argpool) ? null : r.argpool, apNa)} | ${submitCell(isNa(r.tfjsWebgpu) ? null : r.tfjsWebgpu, tfwNa)} | ` +
        `${fmtRatio(t.argpoolSubmit, t.tfjsWebgpuSubmit)} | ${t.cpuRef != null ? `${fmtMs(t.cpuRef)} (${t.cpuRefReps})` : `n/a${noteFor(cpuNa)}`} | ` +
        `${fmtRatio(t.argpoolSubmit, t.cpuRef)} | ${t.tfjsCpu != null ? `${fmtMs(t.tfjsCpu)} (${t.tfjsCpuReps})` : `n/a${noteFor(tfcNa)}`} | ` +
        `${fmtRatio(t.argpoolSubmit, t.tfjsCpu)} |`,
    );
  }
  push('');
  if (notes.size) {
    for (const [text, n] of notes) push(`[${n}] ${text}  `);
    push('');
  }
  const tfjsNotes = new Map();
  for (const r of results.ops) {
    const what = !isNa(r.tfjsWebgpu) ? r.tfjsWebgpu.what : !isNa(r.tfjsCpu) ? r.tfjsCpu.what : null;
    if (!what) continue;
    if (!tfjsNotes.has(what)) tfjsNotes.set(what, []);
    tfjsNotes.get(what).push(`${r.workload} ${OP_NAMES[r.op]}`);
  }
  if (tfjsNotes.size) {
    push('tfjs ops timed:', '');
    for (const [what, where] of tfjsNotes) push(`- ${where.join(', ')}: ${what}`);
    push('');
  }

  push('## Encoder-decoder chain (one submission)', '');
  const c = results.chain;
  if (!c) push('Not run.', '');
  else {
    const created = c.buffersCreated;
    const total = (list) => list.reduce((a, b) => a + b, 0);
    push(`${c.title}: all ${2 * c.levels} operations recorded into one command encoder and submitted by one \`ap.sync()\`.`, '');
    push('| measure | median ms | reps |', '| --- | ---: | ---: |');
    if (c.timestamp) push(`| GPU time, timestamps (sum of the ${2 * c.levels} passes) | ${fmtMs(c.timestamp.medianMs)} | ${c.timestamp.reps} |`);
    push(`| submit→done | ${fmtMs(c.submit.medianMs)} | ${c.submit.reps} |`);
    push(`| record + submit + done | ${fmtMs(c.endToEnd.medianMs)} | ${c.endToEnd.reps} |`, '');
    const perRun = (list) => (list.length ? `[${list.join(', ')}]` : 'none');
    push(
      `GPU buffers created (\`ap.buffersCreated\` growth) by the runs after the first (warm-ups included): ` +
        `**${total(created.plain)}** over ${created.plain.length} plain runs (record + \`ap.sync()\`; expected 0), per run ${perRun(created.plain)}; ` +
        `${total(created.measured)} over ${created.measured.length} runs inside \`ap.measure\`, per run ${perRun(created.measured)} ` +
        `(the first 6-pass \`measure\` call creates its own timestamp resolve and staging buffers for 6 passes; they are reused after that). ` +
        `Output check against the CPU reference chain: ${c.check.ok ? c.check.detail : `**MISMATCH**: ${c.check.detail}`}.`,
      '',
    );
  }

  if (results.host) renderHost(results.host, push);

  push('## Result', '');
  if (results.failures.length === 0) push('Every GPU output matched the CPU reference.', '');
  else {
    push(`**${results.failures.length} problem(s)**; \`npm run bench\` exits 1:`, '');
    for (const f of results.failures) push(`- ${f}`);
    push('');
  }
  return `${lines.join('\n')}\n`;
}

/** Host time per recorded operation that argpool aims to stay under (Node on Dawn, small operations). */
const HOST_TARGET_US = 15;

/** The host-overhead section: bench/host.mjs's figures (Node on Dawn), or why they are missing. */
function renderHost(host, push) {
  push('## Host overhead (Node on Dawn)', '');
  if (host.error) {
    push(`bench/host.mjs did not run: ${host.error}`, '');
    return;
  }
  push(
    `\`${host.command}\`: ${host.what}; adapter ${host.adapter}; Node ${host.node}.`,
    '',
    '| measure | µs |',
    '| --- | ---: |',
    `| host time per recorded operation (wall, best round) | ${host.usPerOp.toFixed(1)} |`,
    ...(host.cpuUsPerOp === null ? [] : [`| the main thread's own CPU time per operation (best round) | ${host.cpuUsPerOp.toFixed(1)} |`]),
    ...(host.inline
      ? [
          `| the same with the options written in each call (a new object every time), wall | ${host.inline.usPerOp.toFixed(1)} |`,
          ...(host.inline.cpuUsPerOp === null ? [] : [`| the same, main thread's CPU time | ${host.inline.cpuUsPerOp.toFixed(1)} |`]),
        ]
      : []),
    `| one submit (\`flush()\` of one recorded pair, median) | ${host.usPerSubmit.toFixed(1)} |`,
    '',
    `Target: at most ${HOST_TARGET_US} µs per recorded operation: **${host.usPerOp <= HOST_TARGET_US ? 'met' : 'not met'}**` +
      (host.usPerOp > HOST_TARGET_US && host.cpuUsPerOp !== null && host.cpuUsPerOp <= HOST_TARGET_US
        ? ' (the main thread\'s own CPU time meets it: the wall time waited for a core on a busy machine)'
        : '') +
      '.',
    '',
    `Every round: ${host.submitsPerRound} submits (one per ${Math.round((2 * host.pairs) / host.submitsPerRound)} operations, included in the time per operation); ` +
      `rounds (µs per operation): ${host.usPerOpRounds.map((v) => v.toFixed(1)).join(', ')}; GPU buffers created in all: ${host.buffersCreated}.`,
    '',
  );
}

// ---------------------------------------------------------------------------------------------
// SVG chart: one group of horizontal bars per workload and op, log-scale time axis
// ---------------------------------------------------------------------------------------------

const SERIES = [
  { key: 'argpoolSubmit', label: 'argpool (GPU, submit→done per op)', color: '#1f77b4' },
  { key: 'copySubmit', label: 'copy limit (copyBufferToBuffer of the same traffic, submit→done per copy)', color: '#7f7f7f' },
  { key: 'tfjsWebgpuSubmit', label: 'tfjs webgpu (same adapter, submit→done per op)', color: '#ff7f0e' },
  { key: 'cpuRef', label: "argpool's CPU reference (JS, wall)", color: '#2ca02c' },
];

const escapeXml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderSvg(results) {
  const width = 1100;
  const labelWidth = 250;
  const plotLeft = labelWidth + 10;
  const plotRight = width - 80;
  const barHeight = 11;
  const barGap = 2;
  const groupGap = 14;
  const top = 150;
  const groups = results.ops.map((r) => ({ r, t: timesOf(r) }));
  const values = groups.flatMap(({ t }) => SERIES.map((s) => t[s.key])).filter((v) => v != null && Number.isFinite(v) && v > 0);
  const minExp = Math.floor(Math.log10(values.length ? Math.min(...values) : 0.1));
  const maxExp = Math.ceil(Math.log10(values.length ? Math.max(...values) : 1000));
  const span = Math.max(1, maxExp - minExp);
  const xOf = (ms) => plotLeft + ((Math.log10(ms) - minExp) / span) * (plotRight - plotLeft);
  const groupHeight = SERIES.length * (barHeight + barGap) + groupGap;
  const plotBottom = top + groups.length * groupHeight;
  const height = plotBottom + 60;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const a = results.adapter;
  out.push(`<text x="16" y="26" font-size="17" font-weight="bold">argpool benchmark: median time per operation (ms, log scale; shorter is faster)${results.quick ? ' — QUICK run' : ''}</text>`);
  out.push(`<text x="16" y="46">Adapter: ${escapeXml(`${a.vendor} / ${a.architecture} / ${a.description || '(no description)'}`)}${isSwiftShader(results) ? ' — SwiftShader: a CPU emulation of a GPU' : ''}</text>`);
  out.push(`<text x="16" y="64">Chromium ${escapeXml(results.browser?.version ?? '?')} (headless) · ${escapeXml(results.date)} · GPU bars: submit→done wall time, medians of ${results.reps.gpu}; CPU: wall time</text>`);
  SERIES.forEach((s, i) => {
    const x = 16 + (i % 2) * 540;
    const y = 86 + Math.floor(i / 2) * 20;
    out.push(`<rect x="${x}" y="${y - 10}" width="14" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${x + 20}" y="${y}">${escapeXml(s.label)}</text>`);
  });

  // Decade grid lines and labels.
  for (let e = minExp; e <= maxExp; e++) {
    const x = xOf(10 ** e);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top - 8}" x2="${x.toFixed(1)}" y2="${plotBottom}" stroke="#cccccc" stroke-width="1"/>`);
    const label = e >= 0 ? String(10 ** e) : (10 ** e).toFixed(-e);
    out.push(`<text x="${x.toFixed(1)}" y="${top - 14}" text-anchor="middle" fill="#444">${label} ms</text>`);
    out.push(`<text x="${x.toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${label} ms</text>`);
  }

  groups.forEach(({ r, t }, g) => {
    const y0 = top + g * groupHeight;
    if (g > 0 && groups[g - 1].r.workload !== r.workload) {
      out.push(`<line x1="10" y1="${y0 - groupGap / 2}" x2="${width - 10}" y2="${y0 - groupGap / 2}" stroke="#888" stroke-width="1"/>`);
    }
    const midY = y0 + (SERIES.length * (barHeight + barGap)) / 2;
    out.push(`<text x="${labelWidth}" y="${midY - 3}" text-anchor="end" font-weight="bold">${escapeXml(`${r.workload} ${OP_NAMES[r.op]}`)}</text>`);
    out.push(`<text x="${labelWidth}" y="${midY + 12}" text-anchor="end" fill="#444">${escapeXml(r.title)}</text>`);
    SERIES.forEach((s, i) => {
      const y = y0 + i * (barHeight + barGap);
      const v = t[s.key];
      if (v == null || !Number.isFinite(v) || v <= 0) {
        out.push(`<text x="${plotLeft + 4}" y="${y + barHeight - 2}" font-size="10" fill="${s.color}">n/a</text>`);
        return;
      }
      const x1 = xOf(v);
      out.push(`<rect x="${plotLeft}" y="${y}" width="${Math.max(1, x1 - plotLeft).toFixed(1)}" height="${barHeight}" fill="${s.color}"/>`);
      out.push(`<text x="${(x1 + 4).toFixed(1)}" y="${y + barHeight - 2}" font-size="10" fill="#222">${fmtMs(v)}</text>`);
    });
  });
  out.push(`<line x1="${plotLeft}" y1="${top - 8}" x2="${plotLeft}" y2="${plotBottom}" stroke="#000" stroke-width="1"/>`);
  out.push(
    `<text x="16" y="${plotBottom + 40}" fill="#444">n/a: not measurable (tfjs has no 3-D argmax pooling; gradient absent where ap.maxPoolBackward is not in the build). See results.md for timestamp times and ratios.</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
