/** What the ONNX benchmark pages (onnx-page.ts, segnet-page.ts) share: per-path timing summaries and logging. */

export interface PathTiming {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

declare global {
  interface Window {
    __benchLog?: (line: string) => void;
  }
}

/** Sends a line to the Node runner (bench/ort-page.mjs), or to the console when the page runs alone. */
export const log = (line: string) => (window.__benchLog ? window.__benchLog(line) : console.log(line));

export function summary(times: number[]): PathTiming {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], minMs: sorted[0], maxMs: sorted[sorted.length - 1], runs: times.length };
}
