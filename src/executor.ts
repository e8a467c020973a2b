/**
 * The executor: one per GPUDevice, shared by every ArgPool context on that device, and so by the
 * adapters, which create their contexts with `ArgPool.create({ device })`. It owns what is worth
 * sharing on a device:
 *
 * - one pending command encoder, submitted when a result is read, on `sync()`/`flush()`, or after
 *   MAX_DISPATCHES_PER_SUBMIT dispatches (tfjs submits every 15, ONNX Runtime Web every 16), so work
 *   recorded by several contexts runs in the order it was recorded;
 * - one buffer pool (src/buffer_pool.ts) with a cap on idle bytes;
 * - one uniform arena: every program's params live in a slot written once, when its plan is prepared;
 * - one fault arena: the 8-byte fault status of every index-reading operation is a slot of it;
 * - the plans already made, keyed by operation, geometry and context (planning checks and decides
 *   everything, so a plan depends on nothing else), and their bind groups per set of buffers;
 * - the pipelines, through the per-device cache of src/pipelines.ts;
 * - error scopes and device loss.
 *
 * It is the one way anything is encoded: the tensor-level API and the adapters record plans into its
 * batch (`record`), and the low-level record functions record a plan into a caller's encoder with
 * the caller's buffers (`recordInto`), through the same bind group and dispatch code.
 *
 * Executors live in a WeakMap keyed by device, so a destroyed or lost device is not kept alive.
 */
import { BufferPool } from './buffer_pool.js';
import { getPipeline, hasPipeline } from './pipelines.js';
import { STATUS_BYTES, type OperationPlan, type ProgramPlan } from './plan.js';
import { BufferUsage, MapMode } from './webgpu_constants.js';

/** Dispatches recorded before the pending work is submitted without being asked. */
export const MAX_DISPATCHES_PER_SUBMIT = 16;

/**
 * Buffers from this size on are created inside error scopes, so running out of GPU memory rejects the
 * next read instead of passing unseen; smaller ones are not (a scope costs a round trip to the GPU
 * process, and scoping every small buffer more than doubled the time of the small-tensor tests).
 */
const SCOPED_BUFFER_BYTES = 1 << 20;

/** How long a failed GPU promise waits for `device.lost` to explain it. */
const LOSS_GRACE_MS = 200;

/** Plans kept per device; the oldest goes (its uniform slots with it) when a new one would pass this. */
export const MAX_CACHED_PLANS = 512;

/**
 * Bind groups kept per program of a prepared plan: a loop cycles through the buffers that the pool
 * hands out between two submits, so a program meets a few dozen sets of buffers again and again.
 */
export const BIND_GROUPS_PER_PROGRAM = 64;

/** Slots per page of the uniform and fault arenas. */
const SLOTS_PER_PAGE = 256;

/** A range of a buffer that a program binds. */
export interface Binding {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** An error scope's finding, or null. */
export type ScopeResult = Promise<GPUError | null>;

/** What each error was found in (an operation, or a submit), for the message that reports it. */
const foundIn = new WeakMap<GPUError, string>();

function scope(device: GPUDevice, what: string): ScopeResult {
  return device.popErrorScope().then(
    (error) => {
      if (error) foundIn.set(error, what);
      return error;
    },
    () => null,
  );
}

/**
 * Fixed-size slots in pages of one buffer each, for small uniforms and fault statuses, so an
 * operation binds a range of a buffer that already exists instead of a buffer of its own. A slot
 * given back is handed out again only after the next submit, like the pool's buffers.
 */
export class SlotArena {
  private readonly pages: GPUBuffer[] = [];
  private readonly pageSet = new Set<GPUBuffer>();
  private free: Binding[] = [];
  private retiring: Binding[] = [];
  /** Slots handed back and free again, whose old contents must be cleared before the next use. */
  private dirty: Binding[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly usage: number,
    /** Bytes from one slot to the next: a multiple of the device's offset alignment for the binding kind. */
    readonly stride: number,
    /** Bytes a slot binds. */
    readonly slotBytes: number,
    /** Whether slots given back are listed for clearing (`takeDirty`); a new page starts zeroed. */
    private readonly clearOnReuse = false,
  ) {}

  /** Whether a buffer is one of this arena's pages. */
  owns(buffer: GPUBuffer): boolean {
    return this.pageSet.has(buffer);
  }

  /** The slots freed since the last call, which the caller clears before anything can use them. */
  takeDirty(): Binding[] {
    const dirty = this.dirty;
    this.dirty = [];
    return dirty;
  }

  /** Pages created so far. */
  get pageCount(): number {
    return this.pages.length;
  }

  acquire(): Binding {
    let slot = this.free.pop();
    if (!slot) {
      const page = this.device.createBuffer({ label: `${this.label} ${this.pages.length}`, size: this.stride * SLOTS_PER_PAGE, usage: this.usage });
      this.pages.push(page);
      this.pageSet.add(page);
      for (let i = SLOTS_PER_PAGE - 1; i >= 0; i--) this.free.push({ buffer: page, offset: i * this.stride, size: this.slotBytes });
      slot = this.free.pop()!;
    }
    return slot;
  }

  release(slot: Binding): void {
    this.retiring.push(slot);
  }

  submitted(): void {
    if (this.retiring.length === 0) return;
    for (const slot of this.retiring) this.free.push(slot);
    if (this.clearOnReuse) this.dirty.push(...this.retiring);
    this.retiring = [];
  }
}

/** A plan ready to record on one device: its programs' params in the arena, its pipelines once compiled. */
export interface PreparedPlan {
  readonly id: number;
  readonly plan: OperationPlan;
  /** Each program's params, as a slot of the uniform arena (written when the plan was prepared), or null. */
  readonly uniforms: ReadonlyArray<Binding | null>;
  pipelines: GPUComputePipeline[] | null;
  /** Set when the cache let the plan go: its uniform slots may hold another plan's params now. */
  evicted: boolean;
  /** @internal Each program's bind groups on sets of the executor's own buffers, by the buffer of its last binding. */
  readonly groups: Map<GPUBuffer, BindGroupEntry[]>[];
}

/** A cached bind group and the buffer ranges it binds, by binding number. */
interface BindGroupEntry {
  buffers: GPUBuffer[];
  offsets: number[];
  group: GPUBindGroup;
}

/**
 * What the low-level API gives of a device's executor (`programManager` in `argpool/low-level`), for
 * code that runs argpool's programs beside its own on one device (the ONNX Runtime adapter): plans
 * cached by key, recorded into the device's batch after the work recorded there before, buffers from
 * the device's pool, reads after everything recorded.
 */
export interface ProgramManager {
  readonly device: GPUDevice;
  /** The plan under `key`, made by `build` the first time; `key` must hold everything the plan depends on. */
  prepare(key: string, build: () => OperationPlan): PreparedPlan;
  /** Records a prepared plan into the device's batch with buffers by role. Does not throw. */
  record(prepared: PreparedPlan, buffers: Readonly<Record<string, GPUBuffer | Binding>>): void;
  /** A pooled buffer of `bytes` with STORAGE | COPY_SRC | COPY_DST usage. */
  allocateStorage(label: string, bytes: number): GPUBuffer;
  /** Gives a pooled buffer back once no unsubmitted command can read it. */
  release(buffer: GPUBuffer): void;
  /** Copies with `record` into a MAP_READ buffer of `bytes`, submits everything pending, and resolves with the copy. */
  readBack(op: string, bytes: number, record: (encoder: GPUCommandEncoder, staging: GPUBuffer) => void): Promise<ArrayBuffer>;
  /** Submits pending work; returns the error scopes the next read checks. */
  flush(): Promise<GPUError | null>[];
}

/** The program manager of a device: its executor, through the part of it that `argpool/low-level` offers. */
export function programManager(device: GPUDevice): ProgramManager {
  return executorFor(device);
}

const executors = new WeakMap<GPUDevice, Executor>();

/** The executor of a device, created on first use. */
export function executorFor(device: GPUDevice): Executor {
  let executor = executors.get(device);
  if (!executor) {
    executor = new Executor(device);
    executors.set(device, executor);
  }
  return executor;
}

export class Executor {
  /** Set when the device is lost; every later call, and every pending read, fails with its reason. */
  lost: GPUDeviceLostInfo | null = null;
  readonly lostPromise: Promise<GPUDeviceLostInfo>;
  readonly pool: BufferPool;
  readonly uniforms: SlotArena;
  readonly faults: SlotArena;
  /** Submissions so far (including automatic ones). */
  submissions = 0;
  /** Contexts (ArgPool instances) open on this device. */
  private contexts = 0;
  private encoder: GPUCommandEncoder | null = null;
  /** The compute pass that consecutive operations share, open until something else needs the encoder. */
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline last set in the shared pass (an operation repeated back to back sets it once). */
  private passPipeline: GPUComputePipeline | null = null;
  private scratch: GPUBuffer[] = [];
  private scopes: ScopeResult[] = [];
  private dispatches = 0;
  private readonly plans = new Map<string, PreparedPlan>();
  private nextPlanId = 1;
  /** The cached bind groups that bind each buffer, with their lists, to forget them when the pool destroys it. */
  private readonly groupsByBuffer = new WeakMap<GPUBuffer, [Map<GPUBuffer, BindGroupEntry[]>, BindGroupEntry][]>();
  private groupCount = 0;

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(
      device,
      (d) => (d.size >= SCOPED_BUFFER_BYTES ? this.scoped(`creating ${d.label ?? 'a buffer'}`, () => device.createBuffer(d)) : device.createBuffer(d)),
      (buffer) => this.forgetBuffer(buffer),
    );
    const { minUniformBufferOffsetAlignment, minStorageBufferOffsetAlignment } = device.limits;
    this.uniforms = new SlotArena(device, 'argpool uniforms', BufferUsage.UNIFORM | BufferUsage.COPY_DST, Math.max(256, minUniformBufferOffsetAlignment), 256);
    this.faults = new SlotArena(
      device,
      'argpool fault statuses',
      BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      Math.max(16, minStorageBufferOffsetAlignment),
      STATUS_BYTES,
      true,
    );
    this.lostPromise = device.lost.then((info) => {
      this.lost = info;
      return info;
    });
  }

  /** Plans prepared and kept (tests and benchmarks check that repeated calls reuse them). */
  get cachedPlans(): number {
    return this.plans.size;
  }

  /** Bind groups kept. */
  get cachedBindGroups(): number {
    return this.groupCount;
  }

  /** Dispatches recorded and not yet submitted. */
  get pendingDispatches(): number {
    return this.dispatches;
  }

  /** A context opens on this device. */
  attach(): void {
    this.contexts++;
  }

  /** A context closes; when none is left, the idle buffers go (the device may live on without argpool). */
  detach(): void {
    this.contexts--;
    if (this.contexts === 0) {
      this.flush();
      this.pool.trim();
    }
  }

  /**
   * The plan under `key`, made by `build` the first time (which throws on bad input, and then nothing
   * is kept). `key` must hold everything the plan depends on.
   */
  prepare(key: string, build: () => OperationPlan): PreparedPlan {
    const found = this.plans.get(key);
    if (found) return found;
    const plan = build();
    const uniforms = plan.programs.map((p) => {
      if (!p.uniform) return null;
      const slot = this.uniforms.acquire();
      this.device.queue.writeBuffer(slot.buffer, slot.offset, p.uniform);
      return { buffer: slot.buffer, offset: slot.offset, size: p.uniform.byteLength };
    });
    if (this.plans.size >= MAX_CACHED_PLANS) {
      const [oldKey, old] = this.plans.entries().next().value!;
      this.plans.delete(oldKey);
      old.evicted = true;
      for (const slot of old.uniforms) if (slot) this.uniforms.release({ buffer: slot.buffer, offset: slot.offset, size: this.uniforms.slotBytes });
      for (const groups of old.groups) {
        for (const list of groups.values()) this.groupCount -= list.length;
        groups.clear();
      }
    }
    const prepared: PreparedPlan = { id: this.nextPlanId++, plan, uniforms, pipelines: null, evicted: false, groups: plan.programs.map(() => new Map()) };
    this.plans.set(key, prepared);
    return prepared;
  }

  /**
   * Records a prepared plan with the caller's buffers by role (a whole buffer, of which the plan's
   * bytes are bound, or a binding), takes its pooled scratch, and submits when the batch reaches
   * MAX_DISPATCHES_PER_SUBMIT. Does not throw.
   *
   * GPU errors reach the next read through error scopes (validation and out-of-memory): around every
   * submit (which covers what the encoder recorded), around every buffer of SCOPED_BUFFER_BYTES or more
   * that the pool creates, and around a plan's first recording when it compiles a pipeline. Steady
   * work, whose buffers and pipelines are reused, pays for the submit's scopes alone (a scope costs a
   * round trip to the GPU process in a browser; scopes around every operation doubled the time of
   * small operations).
   */
  record(prepared: PreparedPlan, given: Readonly<Record<string, GPUBuffer | Binding>>, timestampWrites?: GPUComputePassTimestampWrites): void {
    const { plan } = prepared;
    let bindings = given;
    if (plan.scratch.length > 0) {
      const withScratch: Record<string, GPUBuffer | Binding> = { ...given };
      for (const s of plan.scratch) {
        const buffer = this.pool.acquire({ label: s.label, size: s.bytes, usage: s.usage });
        this.scratch.push(buffer);
        withScratch[s.role] = buffer;
      }
      bindings = withScratch;
    }
    if (prepared.pipelines) this.encode(prepared, bindings, timestampWrites);
    else if (plan.programs.every((p) => hasPipeline(this.device, p.cacheKey))) {
      prepared.pipelines = plan.programs.map((p) => getPipeline(this.device, p));
      this.encode(prepared, bindings, timestampWrites);
    } else {
      this.scoped(plan.op, () => {
        prepared.pipelines = plan.programs.map((p) => getPipeline(this.device, p));
        this.encode(prepared, bindings, timestampWrites);
      });
    }
    this.dispatches += plan.programs.length;
    if (this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.submit();
  }

  /**
   * Records the plan's clears and programs. Operations share one compute pass (each dispatch is its
   * own usage scope, so one reads what an earlier one wrote): a pass costs a few microseconds to
   * begin and end, more than a small operation's dispatch. The pass ends where the encoder is needed
   * for something else: a clear, a copy, an operation timed by `measure` (which gets a pass of its own
   * with the timestamp writes), or the submit. Fault slots need no clear here: the arena's recycled
   * slots are cleared when the next encoder starts, before any operation can use them.
   */
  private encode(prepared: PreparedPlan, bindings: Readonly<Record<string, GPUBuffer | Binding>>, timestampWrites?: GPUComputePassTimestampWrites): void {
    const { plan } = prepared;
    const pipelines = prepared.pipelines!;
    for (const clear of plan.clears) {
      const b = bindings[clear.role];
      if (isBinding(b)) {
        if (!this.faults.owns(b.buffer)) this.currentEncoder().clearBuffer(b.buffer, b.offset, clear.bytes);
      } else this.currentEncoder().clearBuffer(b, 0, clear.bytes);
    }
    if (timestampWrites) {
      const pass = this.currentEncoder().beginComputePass({ label: plan.op, timestampWrites });
      for (let i = 0; i < plan.programs.length; i++) dispatch(pass, plan.programs[i], pipelines[i], this.bindGroup(prepared, i, bindings));
      pass.end();
      return;
    }
    if (!this.pass) {
      this.pass = this.currentEncoder().beginComputePass({ label: 'argpool operations' });
      this.passPipeline = null;
    }
    const pass = this.pass;
    for (let i = 0; i < plan.programs.length; i++) {
      const program = plan.programs[i];
      if (pipelines[i] !== this.passPipeline) {
        pass.setPipeline(pipelines[i]);
        this.passPipeline = pipelines[i];
      }
      pass.setBindGroup(0, this.bindGroup(prepared, i, bindings));
      pass.dispatchWorkgroups(program.grid[0], program.grid[1], program.grid[2]);
    }
  }

  /**
   * Records a plan into a caller's encoder (the low-level API), in a compute pass of its own, with the
   * caller's buffers by role; its scratch and its programs' params come from `allocate` (the params
   * written on the queue now), and are returned: the caller releases them after submitting the
   * encoder. Pipelines come from the device's cache. Every check happened in planning and in the
   * caller's buffer check, so nothing here throws: the pass that begins here ends here.
   */
  recordInto(
    encoder: GPUCommandEncoder,
    plan: OperationPlan,
    buffers: Readonly<Record<string, GPUBuffer>>,
    allocate: (descriptor: GPUBufferDescriptor) => GPUBuffer,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): GPUBuffer[] {
    const scratch: GPUBuffer[] = [];
    const bindings: Record<string, Binding> = {};
    for (const need of plan.needs) bindings[need.role] = { buffer: buffers[need.role], offset: 0, size: need.bytes };
    for (const s of plan.scratch) {
      const buffer = allocate({ label: s.label, size: s.bytes, usage: s.usage });
      scratch.push(buffer);
      bindings[s.role] = { buffer, offset: 0, size: s.bytes };
    }
    const uniforms = plan.programs.map((p) => {
      if (!p.uniform) return null;
      const buffer = allocate({ label: `${p.label} params`, size: p.uniform.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, p.uniform);
      scratch.push(buffer);
      return { buffer, offset: 0, size: p.uniform.byteLength };
    });
    for (const clear of plan.clears) encoder.clearBuffer(bindings[clear.role].buffer, bindings[clear.role].offset, clear.bytes);
    const pass = encoder.beginComputePass({ label: plan.op, timestampWrites });
    for (let i = 0; i < plan.programs.length; i++) {
      const program = plan.programs[i];
      const pipeline = getPipeline(this.device, program);
      const ranges = program.bindings.map((role) => (role === 'params' ? uniforms[i]! : bindings[role]));
      dispatch(pass, program, pipeline, createBindGroup(this.device, program, pipeline, ranges));
    }
    pass.end();
    return scratch;
  }

  /**
   * The bind group of program `i` of a plan on these buffers: made once per set of buffers when every
   * buffer is the executor's own (pooled or an arena page), and found again by the identity of the
   * buffers (a loop gets the same few sets back from the pool); forgotten when the pool destroys one
   * of them. A caller's buffer (`fromBuffer`, an adapter's) gets a bind group of its own each time: a
   * cached group would keep a buffer that its owner dropped without `destroy()` from being collected.
   */
  private bindGroup(prepared: PreparedPlan, i: number, bindings: Readonly<Record<string, GPUBuffer | Binding>>): GPUBindGroup {
    const program = prepared.plan.programs[i];
    const roles = program.bindings;
    const uniform = prepared.uniforms[i];
    const groups = prepared.groups[i];
    const lastRole = roles[roles.length - 1];
    const last = lastRole === 'params' ? uniform! : bindings[lastRole];
    const key = isBinding(last) ? last.buffer : last;
    const candidates = groups.get(key);
    if (candidates) {
      search: for (const entry of candidates) {
        for (let j = 0; j < roles.length; j++) {
          const b = roles[j] === 'params' ? uniform! : bindings[roles[j]];
          if (isBinding(b) ? entry.buffers[j] !== b.buffer || entry.offsets[j] !== b.offset : entry.buffers[j] !== b || entry.offsets[j] !== 0) continue search;
        }
        return entry.group;
      }
    }
    const buffers = roles.map((role) => {
      const b = role === 'params' ? uniform! : bindings[role];
      return isBinding(b) ? b.buffer : b;
    });
    const offsets = roles.map((role) => {
      const b = role === 'params' ? uniform! : bindings[role];
      return isBinding(b) ? b.offset : 0;
    });
    const ranges = roles.map((role, j): Binding => (role === 'params' ? uniform! : { buffer: buffers[j], offset: offsets[j], size: isBinding(bindings[role]) ? (bindings[role] as Binding).size : this.neededBytes(prepared.plan, role) }));
    const group = createBindGroup(this.device, program, prepared.pipelines![i], ranges);
    if (!buffers.every((b) => this.pool.owns(b) || this.faults.owns(b) || this.uniforms.owns(b))) return group;
    if (this.groupCountOf(groups) >= BIND_GROUPS_PER_PROGRAM) {
      // The groups of the oldest key go (a Map keeps insertion order).
      const [oldKey, oldList] = groups.entries().next().value!;
      for (const entry of oldList.slice()) this.dropGroup(groups, oldKey, entry);
    }
    const entry: BindGroupEntry = { buffers, offsets, group };
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(entry);
    this.groupCount++;
    for (const buffer of new Set(buffers)) {
      let uses = this.groupsByBuffer.get(buffer);
      if (!uses) this.groupsByBuffer.set(buffer, (uses = []));
      uses.push([groups, entry]);
    }
    return group;
  }

  private groupCountOf(groups: Map<GPUBuffer, BindGroupEntry[]>): number {
    let count = 0;
    for (const list of groups.values()) count += list.length;
    return count;
  }

  /** Bytes the plan binds of a buffer role (the plan's need, or its scratch). */
  private neededBytes(plan: OperationPlan, role: string): number {
    for (const need of plan.needs) if (need.role === role) return need.bytes;
    for (const s of plan.scratch) if (s.role === role) return s.bytes;
    throw new Error(`${plan.op}: internal: no size for ${role}`);
  }

  private dropGroup(groups: Map<GPUBuffer, BindGroupEntry[]>, key: GPUBuffer, entry: BindGroupEntry): void {
    const list = groups.get(key);
    const at = list ? list.indexOf(entry) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) groups.delete(key);
    this.groupCount--;
  }

  /** Drops the bind groups that bind a buffer about to be destroyed. */
  forgetBuffer(buffer: GPUBuffer): void {
    for (const [groups, entry] of this.groupsByBuffer.get(buffer) ?? []) this.dropGroup(groups, entry.buffers[entry.buffers.length - 1], entry);
    this.groupsByBuffer.delete(buffer);
  }

  /** A pooled buffer of `bytes` with STORAGE | COPY_SRC | COPY_DST usage, for a tensor. */
  allocateStorage(label: string, bytes: number): GPUBuffer {
    return this.pool.acquire({ label, size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  }

  /** Gives a buffer back to the pool once no unsubmitted command can read it. */
  release(buffer: GPUBuffer): void {
    this.pool.release(buffer);
    // With no commands recorded, nothing unsubmitted can still read the released buffers.
    if (!this.encoder) this.pool.submitted();
  }

  /** Gives a fault slot back once no unsubmitted command can write it. */
  releaseFault(slot: Binding): void {
    this.faults.release(slot);
    if (!this.encoder) this.faults.submitted();
  }

  /** Runs `fn` inside validation and out-of-memory error scopes, whose findings the next read reports. */
  scoped<T>(what: string, fn: () => T): T {
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      this.scopes.push(scope(device, `${what} (validation)`), scope(device, `${what} (out of memory)`));
    }
  }

  /**
   * The pending command encoder, for a command outside a compute pass: ends the shared pass if one
   * is open. A new encoder first clears the fault slots recycled since the last one.
   */
  currentEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) {
      const encoder = this.device.createCommandEncoder({ label: 'argpool batch' });
      for (const range of clearRanges(this.faults.takeDirty(), this.faults.stride)) encoder.clearBuffer(range.buffer, range.offset, range.size);
      this.encoder = encoder;
    }
    return this.encoder;
  }

  /** Submits pending work without waiting for it; returns the error scopes the next read checks. */
  flush(): ScopeResult[] {
    this.submit();
    const scopes = this.scopes;
    this.scopes = [];
    return scopes;
  }

  /** Submits the pending encoder (if any); its error scopes stay queued for the next read. */
  private submit(): void {
    if (this.encoder) {
      const encoder = this.currentEncoder();
      this.scoped('submit', () => this.device.queue.submit([encoder.finish()]));
      // One promise for the batch, so a loop that never reads holds one per submit, not per call.
      const batch = this.scopes;
      this.scopes = [Promise.all(batch).then((found) => found.find((m) => m !== null) ?? null)];
      this.submissions++;
      this.encoder = null;
      this.dispatches = 0;
      for (const buffer of this.scratch) this.pool.release(buffer);
      this.scratch = [];
    }
    this.pool.submitted();
    this.uniforms.submitted();
    this.faults.submitted();
  }

  async sync(op: string): Promise<void> {
    const scopes = this.flush();
    await this.untilLost(op, this.device.queue.onSubmittedWorkDone());
    await this.throwScopeErrors(op, scopes);
  }

  /**
   * Records copies into a MAP_READ staging buffer of `bytes` (with `record`), submits everything
   * pending, and resolves with a copy of the staging contents once the GPU is done. Rejects with the
   * loss reason if the device is lost, or with the GPU's error if the submitted commands were invalid
   * or ran out of memory.
   */
  async readBack(op: string, bytes: number, record: (encoder: GPUCommandEncoder, staging: GPUBuffer) => void): Promise<ArrayBuffer> {
    const staging = this.pool.acquire({ label: `${op} staging`, size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    record(this.currentEncoder(), staging);
    const scopes = this.flush();
    try {
      await this.untilLost(op, staging.mapAsync(MapMode.READ));
      await this.throwScopeErrors(op, scopes);
      return staging.getMappedRange(0, bytes).slice(0);
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      this.release(staging);
    }
  }

  /**
   * Waits for a GPU promise, failing with the loss reason if the device is lost first. A lost device
   * can also make the promise itself reject (mapAsync: "unmapped before mapping was resolved") before
   * `device.lost` settles, so a rejection waits briefly for the loss to name it.
   */
  untilLost<T>(op: string, promise: Promise<T>): Promise<T> {
    const lost = this.lostPromise.then((info) => {
      throw lostError(op, info);
    });
    return Promise.race([promise, lost]).catch(async (error: unknown) => {
      const settle = new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS));
      await Promise.race([this.lostPromise, settle]);
      throw this.lost ? lostError(op, this.lost) : error;
    });
  }

  async throwScopeErrors(op: string, scopes: ScopeResult[]): Promise<void> {
    for (const error of await Promise.all(scopes)) {
      if (error) throw new Error(`${op}: the GPU rejected argpool's commands in ${foundIn.get(error) ?? 'a submit'}: ${error.message}`, { cause: error });
    }
  }
}

/**
 * The clears that zero a set of slots: runs of neighbouring slots become one clear (what lies between
 * two slots of a run is padding that nothing binds), so a batch's recycled slots usually take one.
 */
export function clearRanges(slots: readonly Binding[], stride: number): Binding[] {
  if (slots.length <= 1) return slots.slice();
  const sorted = [...slots].sort((a, b) => (a.buffer === b.buffer ? a.offset - b.offset : bufferOrder(a.buffer) - bufferOrder(b.buffer)));
  const ranges: Binding[] = [];
  let run = { ...sorted[0] };
  for (let i = 1; i < sorted.length; i++) {
    const slot = sorted[i];
    if (slot.buffer === run.buffer && slot.offset === run.offset + run.size - sorted[i - 1].size + stride) {
      run.size = slot.offset + slot.size - run.offset;
    } else {
      ranges.push(run);
      run = { ...slot };
    }
  }
  ranges.push(run);
  return ranges;
}

const bufferOrders = new WeakMap<GPUBuffer, number>();
let nextBufferOrder = 0;

/** A stable order among buffers, for sorting slots by page. */
function bufferOrder(buffer: GPUBuffer): number {
  let order = bufferOrders.get(buffer);
  if (order === undefined) bufferOrders.set(buffer, (order = nextBufferOrder++));
  return order;
}

/**
 * A program's bind group on buffer ranges by binding number: the bytes the operation uses, not the
 * whole buffer (a caller's buffer may be larger than the binding limit that the plan checked).
 */
function createBindGroup(device: GPUDevice, program: ProgramPlan, pipeline: GPUComputePipeline, ranges: readonly Binding[]): GPUBindGroup {
  return device.createBindGroup({
    label: program.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: ranges.map((b, binding) => ({ binding, resource: { buffer: b.buffer, offset: b.offset, size: b.size } })),
  });
}

/** Whether a buffer argument is a range of a buffer (a fault or uniform slot) rather than a whole buffer. */
function isBinding(b: GPUBuffer | Binding): b is Binding {
  return typeof (b as Binding).offset === 'number';
}

function dispatch(pass: GPUComputePassEncoder, program: ProgramPlan, pipeline: GPUComputePipeline, group: GPUBindGroup): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(program.grid[0], program.grid[1], program.grid[2]);
}

export function lostError(op: string, info: GPUDeviceLostInfo): Error {
  return new Error(`${op}: the GPU device was lost (${info.reason}): ${info.message}`, { cause: info });
}
