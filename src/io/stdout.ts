import { fstatSync, writeSync } from 'node:fs';

/**
 * Writes to standard output with write(2) on fd 1, without creating
 * process.stdout: that stream and the stream modules it loads cost a few
 * milliseconds of every start-up, a tenth of what inspecting one binary
 * takes. The first time fd 1 cannot take the bytes at once (a non-blocking
 * pipe that is full) or fails otherwise, the rest goes to process.stdout,
 * which queues and reports errors as it always did; every write after that
 * goes there too, so output keeps its order.
 */
let useStream = false;
/** The reader went away (`fromscratch inspect dir | head`): the rest is dropped quietly, as other tools do. */
let closed = false;

export function writeStdout(text: string): void {
  if (closed) return;
  if (useStream) {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done, bytes.length - done);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
      closed = true;
      return;
    }
    useStream = true;
    process.stdout.write(bytes.subarray(done));
  }
}

/** Exits with `code` once everything given to writeStdout is written (at once, unless it fell back to process.stdout). */
export function exitWhenWritten(code: number): void {
  if (useStream) process.stdout.write('', () => process.exit(code));
  else process.exit(code);
}

let characterDevice: boolean | undefined;

/**
 * Whether standard output is a character device: a terminal, or /dev/null
 * (where colour and unbatched writes are as harmless as they are unseen).
 * Asked of fstat, not of process.stdout.isTTY or tty.isatty: creating
 * process.stdout loads the stream modules, ~10 ms of a text inspect of one
 * binary, and node:tty loads node:net.
 */
export function stdoutIsCharacterDevice(): boolean {
  if (characterDevice === undefined) {
    try {
      characterDevice = fstatSync(1).isCharacterDevice();
    } catch {
      characterDevice = true;
    }
  }
  return characterDevice;
}
