/**
 * `DATA_DIR/local-stack.json`: where a running `npm start` keeps its table, for command-line tools that
 * read the store directly (`npm run ledger-check`). Written at start, removed at stop; no secrets in it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StackFile {
  dynamoEndpoint: string;
  tableName: string;
}

const fileOf = (dataDir: string) => join(dataDir, 'local-stack.json');

export async function writeStackFile(dataDir: string, stack: StackFile): Promise<void> {
  await writeFile(fileOf(dataDir), `${JSON.stringify(stack)}\n`, { mode: 0o600 });
}

export async function removeStackFile(dataDir: string): Promise<void> {
  await rm(fileOf(dataDir), { force: true });
}

/** The running stack's store, or undefined when `npm start` is not running on this DATA_DIR. */
export async function readStackFile(dataDir: string): Promise<StackFile | undefined> {
  try {
    return JSON.parse(await readFile(fileOf(dataDir), 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
}
