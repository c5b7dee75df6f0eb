/**
 * Progress on stderr while the bench runs: one line per step, rewritten in place on a terminal
 * (counts and elapsed time), plain lines when stderr is a file or a pipe.
 */
export interface Progress {
  step(title: string): void;
  update(detail: string): void;
  note(text: string): void;
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  const startedAt = performance.now();
  let stepStartedAt = startedAt;
  let title = '';
  let lastPlain = 0;
  const clock = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)}s`;
  const write = (text: string) => {
    try {
      stream.write(text);
    } catch {
      // A closed stderr must not end the run.
    }
  };
  const finishLine = () => {
    if (title) write(tty ? `\r\x1b[2K[${clock(startedAt)}] ${title} (${clock(stepStartedAt)})\n` : `  … ${title} done in ${clock(stepStartedAt)}\n`);
  };
  return {
    step(next) {
      finishLine();
      title = next;
      stepStartedAt = performance.now();
      if (!tty) write(`[${clock(startedAt)}] ${next}\n`);
    },
    update(detail) {
      if (tty) write(`\r\x1b[2K[${clock(startedAt)}] ${title}: ${detail}`);
      else if (performance.now() - lastPlain > 5_000) {
        lastPlain = performance.now();
        write(`  ${title}: ${detail}\n`);
      }
    },
    note(text) {
      write(`${tty ? '\r\x1b[2K' : ''}  ${text}\n`);
    },
    done() {
      finishLine();
      title = '';
      write(`bench finished in ${clock(startedAt)}\n`);
    },
  };
}
