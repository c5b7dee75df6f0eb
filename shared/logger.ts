/**
 * One Powertools Logger per process. Personal data and secrets never reach a log line: the replacer
 * redacts these fields wherever they appear, at any depth.
 */
import { Logger } from '@aws-lambda-powertools/logger';

const REDACTED_KEYS = new Set([
  'authorization',
  'cookie',
  'phone',
  'nationalid',
  'accountnumber',
  'secret',
  'secrets',
  'previoussecret',
  'token',
  'password',
  'idempotency-key',
  'webhook-signature',
  'body',
]);

export function redactingReplacer(key: string, value: unknown): unknown {
  if (key && REDACTED_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null) return '[redacted]';
  return value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'relief-fund',
  jsonReplacerFn: redactingReplacer,
});
