/**
 * `POST /v1/objections/resolve`: up to 100 objections, each exactly as by the single route and each on
 * its own (one refused blocks no other). One after the other: objections to one notice move the same
 * notice version, so resolving them side by side would only make them retry against each other.
 */
import { DomainError, type ErrorCode } from '../../domain/errors.ts';
import type { ObjectionOutcome } from '../../domain/notices.ts';
import { logger } from '../../logger.ts';
import { resolveObjection } from '../notices.ts';

export interface BulkResolution {
  resolved: string[];
  refused: { objectionId: string; code: ErrorCode }[];
}

export async function resolveObjections(
  objectionIds: readonly string[],
  input: { outcome: ObjectionOutcome; note: string },
  actor: { sub: string; correlationId?: string },
  now: Date,
): Promise<BulkResolution> {
  const result: BulkResolution = { resolved: [], refused: [] };
  for (const objectionId of objectionIds) {
    try {
      await resolveObjection(objectionId, input, actor, now);
      result.resolved.push(objectionId);
    } catch (error) {
      if (error instanceof DomainError) {
        result.refused.push({ objectionId, code: error.code });
        continue;
      }
      // Not the caller's fault and not worth stopping the others for: refused, to be tried again.
      logger.error('objection resolution failed', { objectionId, error: (error as Error).name });
      result.refused.push({ objectionId, code: 'temporarily_unavailable' });
    }
  }
  return result;
}
