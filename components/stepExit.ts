/**
 * How a kubectl step's process ends.
 */

/**
 * Exits with `code` once stdout and `message` on stderr are written out. `process.exit` right after a write drops what
 * a pipe has not taken yet, and a failure naming every namespace left (10,000 of them: 430 kB) is far larger than a
 * pipe's buffer.
 */
export function exitStep(code: number, message?: string): void {
    process.stdout.write("", () => process.stderr.write(message === undefined ? "" : `${message}\n`, () => process.exit(code)));
}
