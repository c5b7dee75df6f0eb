/**
 * How every Lambda bundle is built, in one place: the NodejsFunction `bundling` props CDK uses, and the
 * same options for plain esbuild (the benchmark builds each bundle exactly as CDK bundles it).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: entries, the lock file and tsconfig.json are resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The newest Node.js runtime aws-cdk-lib offers (test/infra checks it against Runtime.ALL). */
export const NODE_RUNTIME = Runtime.NODEJS_24_X;

/** `nodejs24.x` → `node24`: the syntax level esbuild may emit for that runtime. */
export const ESBUILD_TARGET = NODE_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1');

/**
 * ESM output has no `require`; some bundled CommonJS dependencies still call it for Node built-ins,
 * so the bundle gets one from `createRequire`.
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __reliefFundCreateRequire } from 'node:module'; const require = __reliefFundCreateRequire(import.meta.url);";

/** ESM packages first, so tree-shaking sees `import`/`export` rather than CommonJS wrappers. */
const MAIN_FIELDS = ['module', 'main'];

export const bundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: ESBUILD_TARGET,
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not a copy of every source file: a third of the map's size, and
  // --enable-source-maps parses the map at cold start.
  sourcesContent: false,
  keepNames: true,
  mainFields: MAIN_FIELDS,
  banner: CREATE_REQUIRE_BANNER,
  // The AWS SDK is bundled, not taken from the runtime: pinned versions and a smaller cold start.
  externalModules: [],
};

/** The esbuild options CDK derives from `bundling` above (CDK writes `index.mjs` for ESM). */
export function esbuildOptions(entry: string, outfile = path.join('dist', path.basename(entry, '.ts'), 'index.mjs')): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: ESBUILD_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    keepNames: true,
    mainFields: MAIN_FIELDS,
    banner: { js: CREATE_REQUIRE_BANNER },
    external: [],
    absWorkingDir: PROJECT_ROOT,
  };
}
