/**
 * `/docs`: the API reference, rendered in the browser by Scalar's standalone bundle
 * (`@scalar/api-reference`, pinned in package.json) from `/v1/openapi.json`, operations and the 3.1
 * `webhooks` alike. Everything comes from our own origin: the page, the bundle at `/docs/reference.js`
 * and the document. Scalar's fonts CDN, telemetry, AI agent, MCP and request proxy are switched off,
 * so nothing leaves for another host and the CSP below holds without a single violation.
 *
 * Where the bundle comes from: in the Lambda package, `reference.js` beside `index.mjs` (the public
 * function's bundling copies it there, infra/constructs/function.ts); on the local runtime, the
 * package in node_modules. The text is read once per execution environment, and gzipped once for the
 * clients that take gzip (4.9 MB → 1.4 MB, well under Lambda's 6 MB response).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The package whose standalone browser bundle renders the page, and the bundle's path inside it. */
export const REFERENCE_PACKAGE = '@scalar/api-reference';
const BUNDLE_IN_PACKAGE = 'dist/browser/standalone.js';
/** The file name the Lambda package carries the bundle under, beside index.mjs. */
export const BUNDLED_REFERENCE_FILE = 'reference.js';
export const REFERENCE_PATH = '/docs/reference.js';

/**
 * What Scalar needs and nothing more (test/browser/api-docs.test.ts watches for every refusal): its
 * script from us; the styles it injects at run time (`<style>` elements and `style` attributes, hence
 * 'unsafe-inline' for styles, never for scripts); data: images (the favicon, inline icons); the
 * document from us. No fonts: it uses the system's. No 'unsafe-eval': zod inside the bundle probes
 * for eval once (`Function('')`), is refused, and validates without it.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Scalar's light theme puts method badges, numbers and muted text below WCAG AA contrast (axe-core
 * color-contrast: 2.9 .. 3.9 against 4.5); these darker shades of the same hues reach 4.5 on its greys.
 */
const CONTRAST_CSS = [
  '.light-mode {',
  '--scalar-color-3: #656565 !important;',
  '--scalar-color-green: #00704a !important;',
  '--scalar-color-orange: #b33d00 !important;',
  '--scalar-color-red: #c4000a !important;',
  '--scalar-color-blue: #0063a6 !important;',
  '--scalar-color-yellow: #8a6400 !important;',
  '--scalar-color-query: #006b70 !important;',
  '}',
].join(' ');

/** Scalar's configuration (its `data-configuration` attribute): the document, and every off-site feature off. */
export const SCALAR_CONFIGURATION = {
  url: '/v1/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  // The API client sends requests through Scalar's proxy by default: not from this page.
  hideClientButton: true,
  hideTestRequestButton: true,
  documentDownloadType: 'json',
  customCss: CONTRAST_CSS,
} as const;

/** The bundle's file: beside this module in the Lambda package, else the package in node_modules. */
export function referenceBundleFile(moduleUrl: string = import.meta.url): string {
  const beside = path.join(path.dirname(fileURLToPath(moduleUrl)), BUNDLED_REFERENCE_FILE);
  if (existsSync(beside)) return beside;
  const main = createRequire(moduleUrl).resolve(REFERENCE_PACKAGE); // …/dist/index.js: the package exports no bundle path
  return path.join(path.dirname(main), '..', BUNDLE_IN_PACKAGE);
}

interface ReferenceBundle {
  text: Buffer;
  /** Compressed on first use: the page itself needs only the version. */
  readonly gzip: Buffer;
  /** A short content hash: the page asks for `/docs/reference.js?v=<hash>`, so a new bundle is a new URL. */
  version: string;
}

let bundle: ReferenceBundle | undefined;

export function referenceBundle(): ReferenceBundle {
  if (!bundle) {
    const text = readFileSync(referenceBundleFile());
    let gzip: Buffer | undefined;
    bundle = {
      text,
      get gzip() {
        return (gzip ??= gzipSync(text));
      },
      version: createHash('sha256').update(text).digest('hex').slice(0, 16),
    };
  }
  return bundle;
}

const escapeAttribute = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderDocsPage(title: string, version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeAttribute(title)}</title>
<link rel="icon" href="data:,">
</head>
<body>
<noscript><p>The API reference needs JavaScript. The machine-readable document: <a href="/v1/openapi.json">/v1/openapi.json</a>.</p></noscript>
<div id="api-reference" data-configuration="${escapeAttribute(JSON.stringify(SCALAR_CONFIGURATION))}"></div>
<script src="${REFERENCE_PATH}?v=${version}"></script>
</body>
</html>
`;
}

/** Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase().split(';'))
    .some(([coding, ...params]) => (coding === 'gzip' || coding === '*') && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p)));
}
