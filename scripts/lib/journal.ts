/**
 * An append-only JSON-lines journal, each record fsync'd before `append` resolves: what a receiver
 * writes here survives a crash (SIGKILL, power loss) the moment it is acknowledged. Read back whole
 * on start; a torn last line (a crash mid-write) is ignored.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

export class Journal<T> {
  private readonly fd: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // Owner only: the journal holds payment instructions.
    this.fd = openSync(path, 'a', 0o600);
  }

  /** Every whole record written so far, oldest first. */
  static read<T>(path: string): T[] {
    if (!existsSync(path)) return [];
    const records: T[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        // The torn tail of a write cut short by a crash: nothing was acknowledged for it.
      }
    }
    return records;
  }

  /** Appends one record and waits until it is on disk. */
  append(record: T): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
