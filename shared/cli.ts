/**
 * The command line of every program a person runs (scripts/, `npm start`, the bench): options parsed strictly
 * (node:util parseArgs), `--help`, one meaning for the exit codes, and messages instead of stack traces for what a
 * person can fix. It sits in shared/ because local/ needs it too, and local/ may not import scripts/.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export const EXIT_OK = 0;
/** The work failed: a rejected row, an unreachable server, a missing key. */
export const EXIT_FAILED = 1;
/** The command line was wrong; nothing was done. */
export const EXIT_USAGE = 2;

const EXIT_CODES = 'exit codes: 0 done, 1 failed, 2 usage error';

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  /** The script's name, the prefix of its messages: `seed: …`. */
  name: string;
  /** The synopsis lines, e.g. `npm run seed -- [--url URL]`. */
  usage: string;
  /** Options and environment variables explained, for --help. */
  details?: string;
  /** Exit codes beyond 0/1/2, e.g. `130 interrupted`. */
  moreExitCodes?: string;
  options: O;
  positionals?: boolean;
}

export interface CommandLine<O extends ParseArgsOptionsConfig> {
  values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>['values'];
  positionals: string[];
}

/** The one command this process runs (a script is one command), for usage() and fail(). */
let command: CommandSpec<ParseArgsOptionsConfig> = { name: 'script', usage: '', options: {} };

export function helpText(spec: CommandSpec<ParseArgsOptionsConfig>): string {
  const exits = spec.moreExitCodes ? `${EXIT_CODES}, ${spec.moreExitCodes}` : EXIT_CODES;
  return [`usage:\n${indent(spec.usage)}`, spec.details ? indent(spec.details) : undefined, exits].filter(Boolean).join('\n');
}

/** A wrong command line: the message and the usage on stderr, exit 2. */
export function usage(message: string): never {
  process.stderr.write(`${command.name}: ${message}\n${helpText(command)}\n`);
  process.exit(EXIT_USAGE);
}

/** Failed work: the message on stderr, exit 1. */
export function fail(message: string): never {
  process.stderr.write(`${command.name}: ${message}\n`);
  process.exit(EXIT_FAILED);
}

export function parseCommandLine<O extends ParseArgsOptionsConfig>(spec: CommandSpec<O>, args = process.argv.slice(2)): CommandLine<O> {
  command = spec;
  // --help is looked for first, so `--help` with anything else still helps.
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${helpText(spec)}\n`);
    process.exit(EXIT_OK);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: true });
    if (!spec.positionals && positionals.length > 0) usage(`unexpected argument "${positionals[0]}"`);
    return { values, positionals };
  } catch (error) {
    return usage((error as Error).message);
  }
}

/**
 * "cannot reach http://…: connection refused" rather than fetch's bare "fetch failed"; undefined when
 * the error is not about reaching the server.
 */
export function unreachable(url: string, error: unknown): string | undefined {
  if (!(error instanceof TypeError) || !/fetch failed/i.test(error.message)) return undefined;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cannotReach(url, cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? cause?.message ?? error.message));
}

export function cannotReach(url: string, why: string): string {
  return `cannot reach ${url}: ${why} (is \`npm start\` running with this PORT, or is --url right?)`;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
