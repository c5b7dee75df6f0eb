/**
 * `npm run openapi`: writes the OpenAPI document (openapi.json) and regenerates the typed client's
 * types (client/api.d.ts) from it. Run after changing a route or a schema; a unit test fails while
 * client/api.d.ts is stale. Exit codes: 0 written, 1 failed, 2 usage.
 */
import { writeFile } from 'node:fs/promises';
import { buildOpenApiDocument } from '#shared/schemas/openapi';
import { parseCommandLine } from '#shared/cli';
import { CLIENT_TYPES_FILE, generateClientTypes } from './lib/generate-client.ts';

parseCommandLine({
  name: 'openapi',
  usage: 'npm run openapi',
  details: 'writes openapi.json and client/api.d.ts from the zod schemas and shared/routes.ts',
  options: {},
});

const document = buildOpenApiDocument();
await writeFile('openapi.json', `${JSON.stringify(document, null, 2)}\n`);
await writeFile(CLIENT_TYPES_FILE, await generateClientTypes());
console.log(`openapi.json: ${Object.keys(document.paths ?? {}).length} paths; client/api.d.ts regenerated`);
