/**
 * The generated OpenAPI document passes Stoplight Spectral's `spectral:oas` ruleset with zero errors. Its
 * oas3-valid-media-example and oas3-valid-schema-example rules check every example in the document against the
 * document's own JSON Schema (test/unit/openapi-examples.test.ts checks them against the zod schemas, which a
 * rendering can differ from: a nullable enum once rendered so that null failed). Also an error there: an array
 * without `items`, an example its own schema refuses, a broken $ref: each is an error there). Spectral runs
 * in-process on the document, offline.
 */
import { describe, expect, it } from 'vitest';
import spectralCore from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import { Json } from '@stoplight/spectral-parsers';
import { DiagnosticSeverity } from '@stoplight/types';
import { buildOpenApiDocument } from '#shared/schemas/openapi';

const { Document, Spectral } = spectralCore;

describe('Spectral spectral:oas on the OpenAPI document', () => {
  it('finds zero errors', async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
    const document = new Document(JSON.stringify(buildOpenApiDocument()), Json, 'openapi.json');
    const results = await spectral.run(document);
    const errors = results
      .filter((r) => r.severity === DiagnosticSeverity.Error)
      .map((r) => `${r.code} at ${r.path.join('.')}: ${r.message}`);
    expect(errors).toEqual([]);
  }, 120_000);
});
