/**
 * Builds the fund console (console/ → console/dist) with Vite when the build is missing or older than
 * any of its sources, so `npm start` and the browser tests never serve a stale console. Concurrent
 * callers (several test files, a test beside `npm start`) wait on one lock instead of racing.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_SOURCE = join(ROOT, 'console');
export const CONSOLE_DIST = join(CONSOLE_SOURCE, 'dist');
const STAMP = join(CONSOLE_DIST, 'index.html');
const LOCK = join(ROOT, 'node_modules', '.console-build.lock');
/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 120_000;
const EXTRA_INPUTS = [join(ROOT, 'client', 'api.d.ts'), join(ROOT, 'package-lock.json')];

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

export async function consoleBuildIsCurrent(): Promise<boolean> {
  const built = await stat(STAMP).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built === 0) return false;
  const extra = await Promise.all(
    EXTRA_INPUTS.map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return Math.max(await newestSource(CONSOLE_SOURCE), ...extra) <= built;
}

/** Returns what happened: `current` (nothing to do) or `built` with how long the build took. */
export async function ensureConsoleBuilt(): Promise<{ built: boolean; ms: number }> {
  const started = performance.now();
  if (await consoleBuildIsCurrent()) return { built: false, ms: 0 };
  await acquireLock();
  try {
    if (await consoleBuildIsCurrent()) return { built: false, ms: performance.now() - started };
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(CONSOLE_SOURCE, 'vite.config.ts')],
      {
        cwd: ROOT,
        // Under vitest NODE_ENV is `test`, which would make a development build (dev JSX, file paths).
        env: { ...process.env, NODE_ENV: 'production' },
        timeout: 120_000,
      },
    );
    return { built: true, ms: performance.now() - started };
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(LOCK).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
      else await sleep(200);
    }
  }
}
