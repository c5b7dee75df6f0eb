/**
 * Captures everything the process writes (stdout, stderr and console), so a test can prove that no
 * secret or personal data reaches a log line. Captured output is kept, not printed.
 */
import { vi } from 'vitest';

export interface LogCapture {
  text(): string;
  restore(): void;
}

export function captureLogs(): LogCapture {
  const captured: string[] = [];
  const restores: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
    restores.push(() => (stream.write = original));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    restores.push(() => spy.mockRestore());
  }
  return {
    text: () => captured.join(''),
    restore: () => restores.splice(0).forEach((r) => r()),
  };
}
