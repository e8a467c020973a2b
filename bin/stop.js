// What the commands of bin/argpool.js share: how they stop early (a message for stderr and an exit
// status: 2 when a command could not run), and how the process leaves once its output is written.

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
