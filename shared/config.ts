/**
 * Environment, parsed once at cold start with zod: a missing or malformed variable fails the start,
 * not a request. Handlers read `config()`; tests and the local runtime set the environment first.
 */
import { durationMs } from './domain/durations.ts';
import * as z from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  DELIVERY_QUEUE_URL: z.string().min(1),
  EXPANSION_QUEUE_URL: z.string().min(1),
  /** Where the app secret (the cursor signing key's master key) lives: one of the two. */
  APP_SECRETS_ARN: z.string().min(1).optional(),
  APP_SECRETS_FILE: z.string().min(1).optional(),
  /**
   * Where the national-ID hash key lives: set on the stations function only (the one that hashes IDs),
   * so it is optional here and checked when a station operation first needs the key.
   */
  PII_SECRETS_ARN: z.string().min(1).optional(),
  PII_SECRETS_FILE: z.string().min(1).optional(),
  ALLOW_INSECURE_WEBHOOKS: flag,
  /** Comma-separated seconds between webhook attempts (Svix's schedule by default). */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'comma-separated whole seconds')
    .default('5,300,1800,7200,18000,36000,36000')
    .transform((s) => s.split(',').map((n) => Number(n.trim()))),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  OUTBOX_SWEEP_SECONDS: seconds(60),
  /**
   * When a succeeded settlement's reserved → paid move reaches its allocation (API 1.2 roll-up): `now`, by the
   * settlement's request right after its commit (one county's roll-up at a time, the rest at the sweep), or
   * `sweep`, only by the outbox sweep (settlements write nothing but their own transaction).
   */
  SETTLEMENT_ROLLUP: z.enum(['now', 'sweep']).default('now'),
  /** How long after a campaign ends disbursements may still draw on its subsidy; then the rest is released. */
  SUBSIDY_CLAIM_PERIOD: z
    .string()
    .default('P30D')
    .refine((text) => durationMs(text) !== undefined, 'an ISO 8601 duration (weeks, days, hours, minutes, seconds)')
    .transform((text) => durationMs(text)!),
  /**
   * Comma-separated app client ids of the machine clients (client credentials): only their access
   * tokens' `relief-fund/<role>` scopes grant roles. None listed: no scope grants anything.
   */
  MACHINE_CLIENT_IDS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  /** Objections one source address may file to one notice per clock hour (held in DynamoDB, across processes). */
  OBJECTIONS_PER_SOURCE_HOUR: z.coerce.number().int().positive().default(30),
  /** Public base URL of the API, used in problem `type` links and the OpenAPI `servers` list. */
  PUBLIC_BASE_URL: z.string().default(''),
});

export type Config = z.infer<typeof schema>;

let cached: Config | undefined;

export function config(): Config {
  if (!cached) {
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new Error(`Invalid environment: ${names}`);
    }
    if (!parsed.data.APP_SECRETS_ARN && !parsed.data.APP_SECRETS_FILE) {
      throw new Error('Invalid environment: APP_SECRETS_ARN or APP_SECRETS_FILE is required');
    }
    cached = parsed.data;
  }
  return cached;
}

/** For tests that change the environment between cases. */
export function resetConfig(): void {
  cached = undefined;
}
