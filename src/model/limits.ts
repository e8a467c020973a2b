/**
 * The limits both model readers apply before they allocate anything for a model they did not write
 * (a hostile or broken file must be refused in bounded time and memory), and the size arithmetic
 * they share: element counts are products of declared dimensions, computed as bigints so that a
 * 2^40-element shape is refused instead of overflowing into a plausible number.
 */
import type { ModelLimits, Refusal } from './report.js';

/**
 * The stated maximums. A model file over 1 GiB is not read (ONNX's own protobuf limit is 2 GiB); one
 * tensor may take at most 2 GiB, the most any WebGPU device in the field gives one buffer (a device's
 * own, smaller limits replace this); one pooling window may have at most 2^20 taps (a 1024 x 1024
 * global pooling), so that no kernel loops for hours over a window of 10^18 taps.
 */
export const STATED_LIMITS: Readonly<Omit<ModelLimits, 'source'>> = {
  maxModelBytes: 2 ** 30,
  maxBufferBytes: 2 ** 31,
  maxBindingBytes: 2 ** 31,
  maxWindowTaps: 2 ** 20,
};

/** Options of both readers that set the limits. */
export interface LimitOptions {
  /** Limits that replace the stated maximums. */
  limits?: Partial<Omit<ModelLimits, 'source'>>;
  /**
   * A WebGPU adapter or device (anything with `limits`): its `maxBufferSize` and
   * `maxStorageBufferBindingSize` replace the buffer limits where they are smaller.
   */
  device?: { limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } };
}

export function modelLimits(options: LimitOptions = {}): ModelLimits {
  const limits: ModelLimits = { ...STATED_LIMITS, ...options.limits, source: options.limits ? 'given limits' : 'stated maximum' };
  const device = options.device?.limits;
  if (device) {
    limits.maxBufferBytes = Math.min(limits.maxBufferBytes, device.maxBufferSize);
    limits.maxBindingBytes = Math.min(limits.maxBindingBytes, device.maxStorageBufferBindingSize);
    limits.source = "the device's limits";
  }
  return limits;
}

/** The product of a shape's dimensions, exactly. */
export function elementCount(shape: readonly (number | bigint)[]): bigint {
  let count = 1n;
  for (const d of shape) count *= BigInt(d);
  return count;
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A byte count in words: `4 TiB`, `1.5 MiB`, `12 bytes`. */
export function showBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${UNITS[unit]}`;
}

/** A count with thousands separators: `1,099,511,627,776`. */
export function showCount(count: number | bigint): string {
  return BigInt(count).toLocaleString('en-US');
}

/**
 * Refuses a tensor whose bytes exceed what one buffer or binding may hold. `what` names it (an
 * input, a node's output); `attribute` and `change` say what sets its size.
 */
export function checkTensorBytes(
  limits: ModelLimits,
  where: string,
  what: string,
  shape: readonly (number | bigint)[],
  bytesPerElement: number,
  detail: { attribute?: string; change: string },
): Refusal | null {
  const elements = elementCount(shape);
  const bytes = elements * BigInt(Math.ceil(bytesPerElement * 8)) / 8n;
  const limit = Math.min(limits.maxBufferBytes, limits.maxBindingBytes);
  if (bytes <= BigInt(limit)) return null;
  const name = limits.maxBindingBytes <= limits.maxBufferBytes ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const whose = limits.source === "the device's limits" ? `the device's ${name}` : `the ${limits.source} of`;
  return {
    where,
    attribute: detail.attribute,
    value: `[${shape.join(', ')}]`,
    message:
      `${where}: ${what} [${shape.join(', ')}] has ${showCount(elements)} elements (${showBytes(bytes)}), ` +
      `over ${whose} ${showBytes(limit)} for one tensor`,
    change: detail.change,
  };
}
