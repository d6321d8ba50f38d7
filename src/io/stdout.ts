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
/** The output could not be written, for a reason other than its reader leaving: the run fails. */
let writeFailed = false;

export function writeStdout(text: string): void {
  if (closed) return;
  if (useStream) {
    process.stdout.write(text);
    return;
  }
  let bytes: Buffer | undefined;
  let done = 0;
  try {
    // The string as it is: Node encodes it on its way to write(2), at half
    // the cost of a Buffer made first (a /usr/bin scan writes 2.6 MB). A
    // partial write (a pipe's reader is behind) goes on from the bytes.
    done = writeSync(1, text);
    if (done === Buffer.byteLength(text, 'utf8')) return;
    bytes = Buffer.from(text, 'utf8');
    while (done < bytes.length) done += writeSync(1, bytes, done, bytes.length - done);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
      closed = true;
      return;
    }
    switchToStream();
    process.stdout.write((bytes ?? Buffer.from(text, 'utf8')).subarray(done));
  }
}

/**
 * From now on output goes through process.stdout. A non-blocking pipe gets
 * there as soon as it is full (whoever started us may have made it so, and
 * a worker thread with piped stdio does), and its reader may still go away:
 * the stream reports that as an 'error' event, which unheard would end the
 * run with a stack trace. EPIPE drops the rest quietly, as above; any other
 * failure is one line on stderr and exit code 2.
 */
function switchToStream(): void {
  useStream = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    if (e.code === 'EPIPE') return;
    process.stderr.write(`fromscratch: cannot write to standard output (${e.code ?? e.message})\n`);
    writeFailed = true;
  });
}

/** Whether standard output's reader has gone: what is written now is dropped. */
export function stdoutClosed(): boolean {
  return closed;
}

/** Exits with `code` once everything given to writeStdout is written (at once, unless it fell back to process.stdout). */
export function exitWhenWritten(code: number): void {
  const exit = (): never => process.exit(writeFailed ? Math.max(code, 2) : code);
  if (useStream && !closed) process.stdout.write('', exit);
  else exit();
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
