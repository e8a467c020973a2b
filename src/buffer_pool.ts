/**
 * Reuses GPU buffers by (size, usage). A released buffer may still be read by commands that are
 * recorded but not yet submitted, and `queue.writeBuffer` into it would run before them; so releases
 * wait in `retiring` until the owner calls `submitted()` after its next `queue.submit`.
 *
 * The idle buffers are capped in bytes (`maxIdleBytes`, DEFAULT_MAX_IDLE_BYTES unless set): when a
 * buffer becomes idle and the idle total passes the cap, the least recently idled buffers are
 * destroyed until it fits again, so the pool shrinks after a large workload instead of holding its
 * peak for the life of the device.
 */

/** Idle bytes a pool keeps by default: enough for the activations of a few large layers. */
export const DEFAULT_MAX_IDLE_BYTES = 128 * 1024 * 1024;

/** What the pool knows of a buffer it made (reading a GPUBuffer's size or usage back is a call into the implementation). */
interface Entry {
  size: number;
  usage: number;
  /** The idle list of its size and usage. */
  list: GPUBuffer[];
  /** When it last became idle (a counter), for destroying the least recently idled first. */
  idleSince: number;
}

export class BufferPool {
  /**
   * Idle buffers by usage, then size; each list is used last-in first-out, so it is ordered by when
   * its buffers became idle, the least recent first.
   */
  private readonly free = new Map<number, Map<number, GPUBuffer[]>>();
  private readonly entries = new WeakMap<GPUBuffer, Entry>();
  private idleCounter = 0;
  private retiring: GPUBuffer[] = [];
  private allocations = 0;
  private destructions = 0;
  private idle = 0;
  private cap = DEFAULT_MAX_IDLE_BYTES;

  /**
   * `create` makes a new buffer when none is free (default `device.createBuffer`); `destroyed` hears
   * of every buffer the pool destroys (so caches that refer to it can forget it).
   */
  constructor(
    device: GPUDevice,
    private readonly create: (descriptor: GPUBufferDescriptor) => GPUBuffer = (d) => device.createBuffer(d),
    private readonly destroyed: (buffer: GPUBuffer) => void = () => {},
  ) {}

  /** Buffers created so far (a steady workload stops growing this after its first run). */
  get created(): number {
    return this.allocations;
  }

  /** Buffers destroyed so far: trimmed to the cap, or by `trim()`/`destroy()`. */
  get destroyedCount(): number {
    return this.destructions;
  }

  /** Bytes of the buffers that are idle now (released and submitted, waiting for reuse). */
  get idleBytes(): number {
    return this.idle;
  }

  /** The most idle bytes kept; setting it trims at once. */
  get maxIdleBytes(): number {
    return this.cap;
  }

  set maxIdleBytes(bytes: number) {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`maxIdleBytes must be a finite number >= 0, got ${bytes}`);
    this.cap = bytes;
    this.shrink();
  }

  /** Whether the pool made this buffer (and so destroys it itself, never leaving it to the collector). */
  owns(buffer: GPUBuffer): boolean {
    return this.entries.has(buffer);
  }

  /**
   * A buffer of at least `descriptor.size` bytes (rounded up to 16) with its usage: an idle one, or a
   * new one. A pooled buffer serves many tensors in turn, so its label names the pool and the first
   * use (relabelling it at each reuse would cost a call into the implementation every time).
   */
  acquire(descriptor: GPUBufferDescriptor): GPUBuffer {
    const size = Math.max(16, Math.ceil(descriptor.size / 16) * 16);
    const list = this.listOf(descriptor.usage, size);
    const reused = list.pop();
    if (reused) {
      this.idle -= size;
      return reused;
    }
    this.allocations++;
    const buffer = this.create({ ...descriptor, size, label: `argpool pooled buffer, first for ${descriptor.label ?? 'an operation'}` });
    this.entries.set(buffer, { size, usage: descriptor.usage, list, idleSince: 0 });
    return buffer;
  }

  /** The idle list of a size and usage. */
  private listOf(usage: number, size: number): GPUBuffer[] {
    let bySize = this.free.get(usage);
    if (!bySize) this.free.set(usage, (bySize = new Map()));
    let list = bySize.get(size);
    if (!list) bySize.set(size, (list = []));
    return list;
  }

  release(buffer: GPUBuffer): void {
    this.retiring.push(buffer);
  }

  /** Call after `queue.submit`: everything released before it may now be handed out again. */
  submitted(): void {
    if (this.retiring.length === 0) return;
    for (const buffer of this.retiring) {
      let entry = this.entries.get(buffer);
      if (!entry) {
        // Made elsewhere and given to the pool: learn it once.
        entry = { size: buffer.size, usage: buffer.usage, list: this.listOf(buffer.usage, buffer.size), idleSince: 0 };
        this.entries.set(buffer, entry);
      }
      if (entry.size > this.cap) {
        // It could never stay: destroy it rather than the idle buffers it would push out.
        this.destroy1(buffer);
        continue;
      }
      entry.list.push(buffer);
      entry.idleSince = this.idleCounter++;
      this.idle += entry.size;
    }
    this.retiring = [];
    this.shrink();
  }

  /**
   * Destroys the least recently idled buffers until the idle bytes fit the cap: the oldest of the
   * lists' first buffers, in turn (rare, so a scan over the lists costs less than keeping an order).
   */
  private shrink(): void {
    while (this.idle > this.cap) {
      let oldest: GPUBuffer[] | null = null;
      let since = Infinity;
      for (const bySize of this.free.values()) {
        for (const list of bySize.values()) {
          if (list.length > 0 && this.entries.get(list[0])!.idleSince < since) {
            since = this.entries.get(list[0])!.idleSince;
            oldest = list;
          }
        }
      }
      if (!oldest) return;
      const buffer = oldest.shift()!;
      this.idle -= this.entries.get(buffer)!.size;
      this.destroy1(buffer);
    }
  }

  private destroy1(buffer: GPUBuffer): void {
    this.destructions++;
    this.destroyed(buffer);
    buffer.destroy();
  }

  /** Destroys every idle buffer. */
  trim(): void {
    for (const bySize of this.free.values()) {
      for (const list of bySize.values()) for (const buffer of list.splice(0)) this.destroy1(buffer);
    }
    this.idle = 0;
  }

  destroy(): void {
    this.trim();
    for (const buffer of this.retiring) this.destroy1(buffer);
    this.retiring = [];
  }
}
