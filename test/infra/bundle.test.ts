/**
 * The real thing, once: `npx cdk synth` through cdk.json, offline, bundling every function with local
 * esbuild. Checks the bundles are ESM with the createRequire banner and slim source maps, that plain
 * esbuild with infra/constructs/bundling.ts's options builds the same bytes (the benchmark relies on it),
 * and that every bundle loads in Node and exports a handler.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_REQUIRE_BANNER, esbuildOptions, PROJECT_ROOT } from '#infra/constructs/bundling';
import { entryOf, type FunctionKind } from '#infra/constructs/function';
import { BUNDLED_REFERENCE_FILE, referenceBundleFile } from '#shared/http/api-reference';
import { BUNDLED_FONT_FILE, reportFontFile } from '#shared/report/report-font';
import { HTTP_FUNCTIONS, QUEUE_FUNCTIONS, SCHEDULED_FUNCTIONS } from '#shared/routes';
import { sameNodeEnv } from '#test/support/node-process';

const run = promisify(execFile);
const outdir = mkdtempSync(path.join(tmpdir(), 'relief-fund-cdk-synth-'));

interface Bundle {
  /** Construct id, e.g. `http-batches`. */
  id: string;
  entry: string;
  dir: string;
}

let bundles: Bundle[] = [];

beforeAll(async () => {
  await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
    cwd: PROJECT_ROOT,
    // Offline and credential-free: no instance metadata lookups, no version check, no telemetry.
    // npx, cdk and the app (`npx tsx infra/app.ts`) find this Node first on PATH.
    env: sameNodeEnv({
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
    }),
    maxBuffer: 64 * 1024 * 1024,
  });
  const template = JSON.parse(readFileSync(path.join(outdir, 'ReliefFundApi.template.json'), 'utf8'));
  bundles = Object.values(template.Resources as Record<string, { Type: string; Metadata: Record<string, string> }>)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => {
      const id = r.Metadata['aws:cdk:path']!.split('/')[1]!;
      const [, kind, name] = /^(http|queue|schedule)-(.+)$/.exec(id)!;
      return { id, entry: entryOf(kind as FunctionKind, name!), dir: path.join(outdir, r.Metadata['aws:asset:path']!) };
    });
}, 300_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth (bundling on)', () => {
  it('bundles one asset per function', () => {
    expect(bundles.map((b) => b.id).sort()).toEqual(
      [
        ...HTTP_FUNCTIONS.map((f) => `http-${f}`),
        ...QUEUE_FUNCTIONS.map((f) => `queue-${f}`),
        ...SCHEDULED_FUNCTIONS.map((f) => `schedule-${f}`),
      ].sort(),
    );
  });

  it('writes ESM with the createRequire banner and a source map without embedded sources', () => {
    for (const bundle of bundles) {
      const code = readFileSync(path.join(bundle.dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(CREATE_REQUIRE_BANNER), bundle.id).toBe(true);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      const map = JSON.parse(readFileSync(path.join(bundle.dir, 'index.mjs.map'), 'utf8'));
      expect(map.mappings.length, bundle.id).toBeGreaterThan(0);
      expect(map.sourcesContent, bundle.id).toBeUndefined();
    }
  });

  it('keeps every bundle under 1 MiB (zod imported as a namespace, so its locales are tree-shaken)', () => {
    for (const bundle of bundles) {
      const bytes = statSync(path.join(bundle.dir, 'index.mjs')).size;
      // The half-year report's function alone carries pdfkit and fontkit (about 0.9 MB of the 1.7): no other route
      // needs them, so they live in that one function, under 2 MiB; the font lies beside it, read only for a PDF.
      expect(bytes, bundle.id).toBeLessThan((bundle.id === 'http-reports' ? 2 : 1) * 1024 * 1024);
    }
  });

  it("ships the API reference's bundle beside the public function's index.mjs, and in no other package", () => {
    for (const bundle of bundles) {
      const file = path.join(bundle.dir, BUNDLED_REFERENCE_FILE);
      expect(existsSync(file), bundle.id).toBe(bundle.id === 'http-public');
    }
    const shipped = readFileSync(path.join(bundles.find((b) => b.id === 'http-public')!.dir, BUNDLED_REFERENCE_FILE));
    expect(shipped.equals(readFileSync(referenceBundleFile()))).toBe(true);
  });

  it("the public function's package serves /docs/reference.js from the file beside it (no node_modules there)", async () => {
    const dir = bundles.find((b) => b.id === 'http-public')!.dir;
    const script = `
      const { handler } = await import(process.argv[1]);
      const event = { version: '2.0', routeKey: 'GET /docs/reference.js', rawPath: '/docs/reference.js', rawQueryString: '',
        headers: { 'accept-encoding': 'gzip' }, requestContext: { http: { method: 'GET', path: '/docs/reference.js' }, requestId: 'r' }, isBase64Encoded: false };
      const result = await handler(event, { awsRequestId: 'r', functionName: 'public', getRemainingTimeInMillis: () => 10000 });
      const { gunzipSync } = await import('node:zlib');
      const body = gunzipSync(Buffer.from(result.body, 'base64'));
      console.log(JSON.stringify({ status: result.statusCode, base64: result.isBase64Encoded, encoding: result.headers['content-encoding'], bytes: body.length, sent: result.body.length }));`;
    // Run from a directory with no node_modules above it: only the package's own files can answer.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, path.join(dir, 'index.mjs')], {
      cwd: tmpdir(),
      env: { ...process.env, AWS_REGION: 'eu-west-1' },
    });
    const reply = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(reply).toMatchObject({ status: 200, base64: true, encoding: 'gzip', bytes: readFileSync(referenceBundleFile()).length });
    // What API Gateway receives from Lambda: base64 of the gzip, well under the 6 MB response limit.
    expect(reply.sent).toBeLessThan(2.5 * 1024 * 1024);
  }, 60_000);

  it("ships the report's CJK font beside the report function's index.mjs, where the PDF code looks for it, and in no other package", () => {
    for (const bundle of bundles) {
      expect(existsSync(path.join(bundle.dir, BUNDLED_FONT_FILE)), bundle.id).toBe(bundle.id === 'http-reports');
    }
    const dir = bundles.find((b) => b.id === 'http-reports')!.dir;
    // The path the bundled code resolves (its own module URL is index.mjs's): the file beside it, never the package's.
    const loaded = reportFontFile(pathToFileURL(path.join(dir, 'index.mjs')).href);
    expect(loaded).toBe(path.join(dir, BUNDLED_FONT_FILE));
    expect(readFileSync(loaded).equals(readFileSync(reportFontFile()))).toBe(true);
  });

  it('bundles the AWS SDK rather than relying on the runtime copy', () => {
    const worker = bundles.find((b) => b.id === 'queue-webhook-delivery')!;
    const code = readFileSync(path.join(worker.dir, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
  });

  it('plain esbuild with esbuildOptions(entry) produces the same bundle as CDK', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'relief-fund-esbuild-'));
    try {
      for (const bundle of bundles.filter((b) => ['http-disbursements', 'queue-webhook-delivery'].includes(b.id))) {
        const outfile = path.join(scratch, bundle.id, 'index.mjs');
        await build({ ...esbuildOptions(path.relative(PROJECT_ROOT, bundle.entry), outfile), logLevel: 'silent' });
        expect(readFileSync(outfile, 'utf8'), bundle.id).toBe(readFileSync(path.join(bundle.dir, 'index.mjs'), 'utf8'));
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it('every bundle loads in Node and exports a handler function', async () => {
    const script = `
      const failures = [];
      for (const [id, file] of JSON.parse(process.argv[1])) {
        try {
          const m = await import(file);
          if (typeof m.handler !== 'function') failures.push(id + ': no handler export');
        } catch (error) {
          failures.push(id + ': ' + error.message);
        }
      }
      console.log(JSON.stringify(failures));`;
    const files = bundles.map((b) => [b.id, path.join(b.dir, 'index.mjs')]);
    expect(files.every(([, f]) => existsSync(f!))).toBe(true);
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script, JSON.stringify(files)], {
      env: {
        ...process.env,
        AWS_REGION: 'eu-west-1',
        TABLE_NAME: 'relief-fund',
        DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/delivery',
        EXPANSION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/expansion',
        APP_SECRETS_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:relief-fund',
      },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([]);
  }, 60_000);
});
