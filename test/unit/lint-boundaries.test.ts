/**
 * The boundaries of shared/data hold only while the lint rules that hold them still fire. This runs the
 * project's own eslint block for shared/ (import-x/no-cycle with its resolver, relief/data-boundaries) on a
 * small tree written to a temporary folder: a verb importing another verb, an items file importing a
 * verb, and a cycle through a `#shared/*` subpath import must each be an error, and a verb importing
 * items, ledger/move.ts and platform/ must be clean.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

let root: string;
let eslint: ESLint;

const files: Record<string, string> = {
  'package.json': JSON.stringify({ type: 'module', imports: { '#shared/*': './shared/*.ts' } }),
  'shared/data/platform/table.ts': `export const TABLE = 'table';\n`,
  'shared/data/ledger/move.ts': `import { TABLE } from '../platform/table.ts';\nexport const move = () => TABLE;\n`,
  'shared/data/orders/items.ts': `import { TABLE } from '#shared/data/platform/table';\nexport const orderKey = (id: string) => TABLE + id;\n`,
  'shared/data/orders/approve.ts':
    `import { orderKey } from './items.ts';\nimport { move } from '../ledger/move.ts';\n` +
    `export const approve = (id: string) => orderKey(id) + move();\n`,
  'shared/data/orders/cancel.ts': `import { approve } from './approve.ts';\nexport const cancel = (id: string) => approve(id);\n`,
  'shared/data/orders/list.ts': `import { orderKey } from './items.ts';\nexport const list = () => [orderKey('1')];\n`,
  'shared/data/refunds/items.ts': `import { list } from '../orders/list.ts';\nexport const refundKey = () => list();\n`,
  'shared/data/loops/first.ts': `import { second } from '#shared/data/loops/second';\nexport const first = () => second();\n`,
  'shared/data/loops/second.ts': `import { first } from './first.ts';\nexport const second = (): number => first();\n`,
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lint-boundaries-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  // The project's block for shared/, as eslint.config.js has it; the type-aware rules are not needed here.
  const configFile = pathToFileURL(path.join(import.meta.dirname, '../../eslint.config.js')).href;
  const blocks = ((await import(configFile)) as { default: Linter.Config[] }).default;
  const boundaries = blocks.find((b) => b.plugins && 'relief' in b.plugins);
  expect(boundaries).toBeDefined();
  eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, boundaries!],
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rulesHit(file: string): Promise<string[]> {
  const [result] = await eslint.lintFiles([path.join(root, file)]);
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('the shared/data boundary rules', () => {
  it('refuse a verb that imports another verb', async () => {
    expect(await rulesHit('shared/data/orders/cancel.ts')).toEqual(['relief/data-boundaries']);
  });

  it('refuse an items file that imports a verb', async () => {
    expect(await rulesHit('shared/data/refunds/items.ts')).toEqual(['relief/data-boundaries']);
  });

  it('refuse an import cycle, also through a #shared subpath import', async () => {
    expect(await rulesHit('shared/data/loops/first.ts')).toContain('import-x/no-cycle');
  });

  it('let a verb import items, ledger/move.ts and platform/', async () => {
    expect(await rulesHit('shared/data/orders/approve.ts')).toEqual([]);
    expect(await rulesHit('shared/data/orders/items.ts')).toEqual([]);
  });
});
