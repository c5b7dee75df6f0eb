/** `/docs`: the page that loads Scalar's bundle from our own origin, its CSP, and where the bundle is read from. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  acceptsGzip,
  BUNDLED_REFERENCE_FILE,
  DOCS_CSP,
  referenceBundle,
  referenceBundleFile,
  renderDocsPage,
  SCALAR_CONFIGURATION,
} from '#shared/http/api-reference';

describe('the docs page', () => {
  const page = renderDocsPage('relief-fund <API>', 'abc123');

  it('loads the bundle from our origin by its version and runs no inline script', () => {
    const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script src="/docs/reference.js?v=abc123">']);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).toContain('<title>relief-fund &lt;API&gt;</title>');
  });

  it("hands Scalar the document's URL and switches off everything that would call another host", () => {
    const attribute = /data-configuration="([^"]*)"/.exec(page)?.[1] ?? '';
    const configuration = JSON.parse(
      attribute
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    expect(configuration).toEqual(SCALAR_CONFIGURATION);
    expect(configuration).toMatchObject({
      url: '/v1/openapi.json',
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
    });
  });
});

describe('the docs CSP', () => {
  const directives = Object.fromEntries(DOCS_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

  it("allows scripts from our origin only: no 'unsafe-eval', no inline script", () => {
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(DOCS_CSP).not.toContain('unsafe-eval');
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
  });
});

describe('the reference bundle', () => {
  it('is read from beside the module when the Lambda package carries it there', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reference-'));
    writeFileSync(path.join(dir, BUNDLED_REFERENCE_FILE), 'bundled');
    expect(referenceBundleFile(pathToFileURL(path.join(dir, 'index.mjs')).href)).toBe(path.join(dir, BUNDLED_REFERENCE_FILE));
  });

  it("is otherwise the pinned package's standalone browser bundle, gzipped alike", () => {
    const file = referenceBundleFile();
    expect(file).toMatch(/node_modules\/@scalar\/api-reference\/dist\/browser\/standalone\.js$/);
    const bundle = referenceBundle();
    expect(bundle.text.equals(readFileSync(file))).toBe(true);
    expect(gunzipSync(bundle.gzip).equals(bundle.text)).toBe(true);
    expect(bundle.version).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['*', true],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip; q=0.0', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
