/** The geometry of the programs that take one invocation per item of a flat count. */
export interface FlatWork {
  op: string;
  /** Invocations: elements, or words of four 'window' taps. */
  count: number;
}
