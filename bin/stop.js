// What the commands of bin/argpool.js share: how they read their arguments, how they stop early (a
// message for stderr and an exit status: 2 when a command could not run), and how the process leaves
// once its output is written.

/** Why a command stops early: printed to stderr, with the exit status. */
export class Stop extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function fail(message, status = 2) {
  throw new Stop(message, status);
}

/**
 * Leaves once everything written so far has reached stdout and stderr (writes to a pipe can be
 * asynchronous, and Dawn would keep the process alive without an explicit exit).
 */
export function exit(status) {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
}

/**
 * A command's arguments, read in order: `next()` gives the next option or operand (`--name=value`
 * as `--name` followed by `value`), `value(name)` the value an option takes, refused when missing.
 */
export function commandLine(argv, usage) {
  const args = argv.slice();
  return {
    get done() {
      return args.length === 0;
    },
    next() {
      const arg = args.shift();
      const eq = arg.indexOf('=');
      if (!arg.startsWith('--') || eq <= 0) return arg;
      args.unshift(arg.slice(eq + 1));
      return arg.slice(0, eq);
    },
    value(name) {
      const v = args.shift();
      if (v === undefined || v.startsWith('--')) fail(`argpool: ${name} needs a value\n\n${usage}`);
      return v;
    },
  };
}
