/**
 * Launch progress on stderr (stdout stays for the summary): a one-line bar redrawn in place on a
 * terminal, one plain line per finished row otherwise (CI logs, pipes).
 */
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
  if (!stream.isTTY) {
    const digits = String(total).length;
    return {
      row: (done, _counts, line) => stream.write(`[${String(done).padStart(digits)}/${total}] ${line}\n`),
      finish: () => undefined,
    };
  }
  let lastDraw = 0;
  let pending: { done: number; counts: ProgressCounts } | undefined;
  const draw = (done: number, counts: ProgressCounts) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    const text = `${bar} ${done}/${total}  created ${counts.created}  replayed ${counts.replayed}  failed ${counts.failed}`;
    stream.write(`\r\x1b[2K${text}`);
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
      stream.write('\n');
    },
  };
}
