/**
 * Progress on stderr, only on a terminal: one status line redrawn in place
 * (at most ten times a second), so a pipe, a file or CI logs get nothing
 * and stdout stays clean for `--json`. Layers and blobs are the units:
 * each task counts bytes towards an optional total.
 */
export interface ProgressTask {
  /** Adds `bytes` done to this task. */
  advance(bytes: number): void;
  /** Marks this task finished; `note` replaces its bytes in the final line ("exists", "mounted"). */
  finish(note?: string): void;
}

export interface Progress {
  /** Starts a task named `label` (a layer, a blob), of `total` bytes when known. */
  task(label: string, total?: number): ProgressTask;
  /** Clears the status line; call once when the command ends, success or not. */
  close(): void;
}

const NOOP_TASK: ProgressTask = { advance() {}, finish() {} };
export const NO_PROGRESS: Progress = { task: () => NOOP_TASK, close() {} };

/** Progress for `stream` when it is a terminal (and not disabled), else a no-op. */
export function progressFor(stream: NodeJS.WriteStream, enabled = true): Progress {
  if (!enabled || stream.isTTY !== true) return NO_PROGRESS;
  return new TerminalProgress(stream);
}

/** Byte counts the way people read them: 512 B, 3.4 kB, 51.2 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

interface TaskState {
  readonly label: string;
  readonly total: number | undefined;
  done: number;
  finished: boolean;
  note: string | undefined;
}

class TerminalProgress implements Progress {
  private readonly tasks: TaskState[] = [];
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  task(label: string, total?: number): ProgressTask {
    const state: TaskState = { label, total, done: 0, finished: false, note: undefined };
    this.tasks.push(state);
    this.draw(true);
    return {
      advance: (bytes) => {
        state.done += bytes;
        this.draw(false);
      },
      finish: (note) => {
        if (state.finished) return;
        state.finished = true;
        state.note = note;
        // A finished task gets its own permanent line, then the status line resumes below it.
        this.clearLine();
        this.stream.write(`${state.label}: ${note ?? formatBytes(state.done)} done\n`);
        this.draw(true);
      },
    };
  }

  close(): void {
    this.clearLine();
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const active = this.tasks.filter((t) => !t.finished);
    if (active.length === 0) {
      this.clearLine();
      return;
    }
    const parts = active.slice(0, 3).map((t) => `${t.label} ${formatBytes(t.done)}${t.total !== undefined ? `/${formatBytes(t.total)}` : ''}`);
    if (active.length > 3) parts.push(`+${active.length - 3} more`);
    const columns = this.stream.columns || 80; // a pseudo-terminal may report 0
    const line = parts.join('  ').slice(0, Math.max(10, columns - 1));
    this.stream.write(`\r\u001b[K${line}`);
    this.drawn = true;
  }

  private clearLine(): void {
    if (!this.drawn) return;
    this.stream.write('\r\u001b[K');
    this.drawn = false;
  }
}
