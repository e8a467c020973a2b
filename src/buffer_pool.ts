/**
 * Reuses GPU buffers by (size, usage). A released buffer may still be read by commands that are
 * recorded but not yet submitted, and `queue.writeBuffer` into it would run before them; so releases
 * wait in `retiring` until the owner calls `submitted()` after its next `queue.submit`.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private retiring: GPUBuffer[] = [];
  private allocations = 0;

  /** `create` makes a new buffer when none is free (default `device.createBuffer`). */
  constructor(
    device: GPUDevice,
    private readonly create: (descriptor: GPUBufferDescriptor) => GPUBuffer = (d) => device.createBuffer(d),
  ) {}

  /** Buffers created so far (a steady workload stops growing this after its first run). */
  get created(): number {
    return this.allocations;
  }

  acquire(descriptor: GPUBufferDescriptor): GPUBuffer {
    const size = Math.max(16, Math.ceil(descriptor.size / 16) * 16);
    const key = `${size}:${descriptor.usage}`;
    const reused = this.free.get(key)?.pop();
    if (reused) {
      reused.label = descriptor.label ?? '';
      return reused;
    }
    this.allocations++;
    return this.create({ ...descriptor, size });
  }

  release(buffer: GPUBuffer): void {
    this.retiring.push(buffer);
  }

  /** Call after `queue.submit`: everything released before it may now be handed out again. */
  submitted(): void {
    for (const buffer of this.retiring) {
      const key = `${buffer.size}:${buffer.usage}`;
      let list = this.free.get(key);
      if (!list) {
        list = [];
        this.free.set(key, list);
      }
      list.push(buffer);
    }
    this.retiring = [];
  }

  /** Destroys every idle buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
  }

  destroy(): void {
    this.trim();
    for (const buffer of this.retiring) buffer.destroy();
    this.retiring = [];
  }
}
