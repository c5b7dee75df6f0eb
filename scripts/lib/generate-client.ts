/**
 * Generates client/api.d.ts (the typed client's paths and schemas) from the project's own OpenAPI
 * document, so scripts call the API with the same types the server validates with.
 *
 *   npx tsx scripts/lib/generate-client.ts          writes client/api.d.ts
 *   npx tsx scripts/lib/generate-client.ts --check  exits 1 when the committed file is stale
 *
 * Exit codes: 0 written (or current), 1 stale, 2 usage (shared/cli.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { buildOpenApiDocument } from '#shared/schemas/openapi';
import { fail, parseCommandLine } from '#shared/cli';

export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../../client/api.d.ts', import.meta.url));

export async function generateClientTypes(): Promise<string> {
  const document = buildOpenApiDocument() as unknown as Parameters<typeof openapiTS>[0];
  const ast = await openapiTS(document, { alphabetize: true, silent: true });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseCommandLine({
    name: 'generate-client',
    usage: 'npx tsx scripts/lib/generate-client.ts [--check]',
    details: `writes client/api.d.ts from the OpenAPI document (\`npm run openapi\` does this and writes openapi.json too)
--check    write nothing; exit 1 when the committed client/api.d.ts is stale`,
    options: { check: { type: 'boolean' } },
  });
  const generated = await generateClientTypes();
  if (values.check) {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8').catch(() => '');
    if (committed !== generated) fail('client/api.d.ts is stale: run `npm run openapi`');
  } else {
    await writeFile(CLIENT_TYPES_FILE, generated);
    process.stderr.write(`wrote ${CLIENT_TYPES_FILE}\n`);
  }
}
