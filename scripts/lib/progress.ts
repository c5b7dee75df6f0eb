/**
 * Progress on stderr for the scripts and the bench (stdout stays for the summary table): one line
 * rewritten in place on a terminal, plain lines when stderr is a file or a pipe (CI logs).
 *
 * - `progressReporter(total)`: a bar over a known number of rows (the campaign launcher);
 * - `stepProgress()`: named steps with a running detail and the time each took (the bench).
 */

/** The one line a terminal shows in place; everything else is a whole line. */
function statusLine(stream: NodeJS.WriteStream) {
  const write = (text: string) => {
    try {
      stream.write(text);
    } catch {
      // A closed stderr must not end the run.
    }
  };
  const tty = stream.isTTY === true;
  return {
    tty,
    /** Replaces the line in place (terminals only). */
    redraw: (text: string) => write(`\r\x1b[2K${text}`),
    /** A whole line, over the in-place one on a terminal. */
    print: (text: string) => write(`${tty ? '\r\x1b[2K' : ''}${text}\n`),
    newline: () => write('\n'),
  };
}

export interface ProgressCounts {
  created: number;
  replayed: number;
  failed: number;
}

export interface Progress {
  row(done: number, counts: ProgressCounts, line: string): void;
  finish(): void;
}

const BAR_WIDTH = 28;
const REDRAW_MS = 80;

export function progressReporter(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const out = statusLine(stream);
  if (!out.tty) {
    const digits = String(total).length;
    return {
      row: (done, _counts, line) => out.print(`[${String(done).padStart(digits)}/${total}] ${line}`),
      finish: () => undefined,
    };
  }
  let lastDraw = 0;
  let pending: { done: number; counts: ProgressCounts } | undefined;
  const draw = (done: number, counts: ProgressCounts) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    out.redraw(`${bar} ${done}/${total}  created ${counts.created}  replayed ${counts.replayed}  failed ${counts.failed}`);
    lastDraw = Date.now();
    pending = undefined;
  };
  return {
    row(done, counts) {
      pending = { done, counts: { ...counts } };
      if (done === total || Date.now() - lastDraw >= REDRAW_MS) draw(done, counts);
    },
    finish() {
      if (pending) draw(pending.done, pending.counts);
      out.newline();
    },
  };
}

export interface StepProgress {
  step(title: string): void;
  update(detail: string): void;
  note(text: string): void;
  done(): void;
}

/** Plain output repeats a step's detail at most this often. */
const PLAIN_DETAIL_MS = 5_000;

/** `name` ends the run: `bench finished in 93.4s`. */
export function stepProgress(name: string, stream: NodeJS.WriteStream = process.stderr): StepProgress {
  const out = statusLine(stream);
  const startedAt = performance.now();
  let stepStartedAt = startedAt;
  let title = '';
  let lastPlain = 0;
  const clock = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)}s`;
  const finishLine = () => {
    if (title)
      out.print(out.tty ? `[${clock(startedAt)}] ${title} (${clock(stepStartedAt)})` : `  … ${title} done in ${clock(stepStartedAt)}`);
  };
  return {
    step(next) {
      finishLine();
      title = next;
      stepStartedAt = performance.now();
      if (!out.tty) out.print(`[${clock(startedAt)}] ${next}`);
    },
    update(detail) {
      if (out.tty) out.redraw(`[${clock(startedAt)}] ${title}: ${detail}`);
      else if (performance.now() - lastPlain > PLAIN_DETAIL_MS) {
        lastPlain = performance.now();
        out.print(`  ${title}: ${detail}`);
      }
    },
    note(text) {
      out.print(`  ${text}`);
    },
    done() {
      finishLine();
      title = '';
      out.print(`${name} finished in ${clock(startedAt)}`);
    },
  };
}
