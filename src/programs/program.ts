/**
 * A program: one WGSL kernel (shaders/<name>.wgsl) and everything the host knows about it, as data
 * (ONNX Runtime Web's ProgramInfo and Hugging Face's kernel manifests are the models): its bindings,
 * which of them hold float data, the fields of its params uniform, and where it applies. The storage
 * generator (./storage.ts) writes the WGSL declarations of the bindings and the params struct from
 * this description, so the host and the kernel cannot disagree about them; the kernel's own file
 * holds only its code. The planner (src/plan.ts) keeps an ordered list of candidate programs per
 * operation and takes the first whose `applies` gives a launch.
 */
import type { LaunchProfile } from '../launch.js';

/**
 * How an operation's float tensors are stored: 'float32' (one 32-bit word per element),
 * 'float16-packed' (two float16 per 32-bit word, any adapter) or 'float16-native' (array<f16>,
 * adapters with 'shader-f16'). See ./storage.ts for what each gives a kernel.
 */
export type FloatStorage = 'float32' | 'float16-packed' | 'float16-native';

/** One binding, in binding order (binding i is the program's bindings[i]). */
export type BindingDeclaration =
  /** The program's params: a uniform struct of the program's `uniforms`, all u32. */
  | { name: string; kind: 'uniform' }
  /**
   * Float tensor data, declared and accessed by the storage generator. `vector`: read or written four
   * elements at a time (NAME_load4 / NAME_store4); otherwise one at a time.
   */
  | { name: string; kind: 'floats'; access: 'read' | 'write'; vector?: boolean }
  /** Anything else (indices, status words, scratch), declared as given. */
  | { name: string; kind: 'storage'; access: 'read' | 'read_write'; type: string };

/**
 * How a kernel sees float data:
 * - 'widened': float32 bits, one element at a time (NAME_load(i) -> u32, NAME_store(i, bits)); float16
 *   tensors are widened exactly on load and narrowed once on store (float16.wgsl). For kernels that
 *   do arithmetic (sums, interpolation).
 * - 'stored': the bits as stored, four elements at a time (float32 bits, or float16 bits one per u32
 *   lane), never widened, with `stored_key4` and `stored_first_sum4` for the rules on those bits. For
 *   kernels that compare and copy.
 */
export type FloatAccess = 'widened' | 'stored';

/** The device facts a program's launch depends on. */
export interface DeviceFacts {
  limits: PlanLimits;
  launch: LaunchProfile;
  float: FloatStorage;
}

/** The device limits a plan respects. */
export interface PlanLimits {
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** How a program runs on one geometry: its workgroup grid and its override constants. */
export interface Launch {
  grid: [number, number, number];
  constants: Record<string, number>;
}

/** Shared WGSL that a kernel builds on, put in front of its text: shaders/layout.wgsl. */
export type Include = 'layout';

export interface Program<G = never, N extends string = string> {
  /** The kernel's file name in shaders/ without `.wgsl`; names its pipelines too. */
  readonly name: N;
  /** The kernel's own text (shaders/<name>.wgsl). */
  readonly wgsl: string;
  readonly includes: readonly Include[];
  /** The u32 fields of the `params` uniform, in order (values from the planner). */
  readonly uniforms: readonly string[];
  readonly bindings: readonly BindingDeclaration[];
  /** How the kernel sees its float bindings (required when it has any). */
  readonly floats?: FloatAccess;
  /** Bindings the kernel needs zeroed before it runs (cleared by the plan). */
  readonly zeroed?: readonly string[];
  /** Reads 'window' taps directly when its WINDOW_TAPS override is set (else they are converted first). */
  readonly windowTaps?: boolean;
  /** One of the general kernels, which run every geometry (`specialisedKernels: false` runs only these). */
  readonly general?: boolean;
  /** Where the program applies among its operation's candidates: its launch, or null. */
  readonly applies?: (geometry: G, device: DeviceFacts) => Launch | null;
}

/**
 * A program, checked against the interface at its definition, with its name's literal type kept (the
 * shader-name type is derived from the programs) and its geometry type taken from `applies`.
 */
export function defineProgram<const N extends string, G = never>(program: Program<G, N>): Program<G, N> {
  return Object.freeze(program);
}

/** The file a program's kernel lives in, as plans and labels name it. */
export function shaderFile(program: Pick<Program<never>, 'name'>): string {
  return `${program.name}.wgsl`;
}

/** Whether a program moves float data (and so has a form per float storage). */
export function hasFloats(program: Program<never>): boolean {
  return program.bindings.some((b) => b.kind === 'floats');
}
