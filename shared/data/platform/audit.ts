/**
 * Audit entries: immutable, written in the same transaction as the change they describe, in the
 * entity's own item collection. They say who did what, when, from which status to which, and under
 * which request (correlation id), so every money movement can be explained afterwards.
 */
import type { Actor } from '../../domain/roles.ts';
import { newId } from '../../ids.ts';
import { keys } from './keys.ts';
import type { TxStep } from './transactions.ts';
import { config } from '../../config.ts';

export interface AuditFacts {
  actor: string;
  action: string;
  at: Date;
  correlationId?: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  reason?: string;
  /** Amounts and ids that moved; never personal data. */
  details?: Record<string, unknown>;
}

export function auditStep(entityPk: string, facts: AuditFacts): TxStep {
  const auditId = newId('audit', facts.at.getTime());
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: {
          ...keys.audit(entityPk, auditId),
          type: 'audit',
          auditId,
          entity: entityPk,
          actor: facts.actor,
          action: facts.action,
          at: facts.at.toISOString(),
          correlationId: facts.correlationId,
          fromStatus: facts.fromStatus ?? null,
          toStatus: facts.toStatus ?? null,
          reason: facts.reason,
          details: facts.details,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

/** The audit entry of what `actor` did now, under its request: the common case of auditStep. */
export function actorAuditStep(
  entityPk: string,
  actor: Pick<Actor, 'sub' | 'correlationId'>,
  action: string,
  now: Date,
  facts: Omit<AuditFacts, 'actor' | 'action' | 'at' | 'correlationId'> = {},
): TxStep {
  return auditStep(entityPk, { actor: actor.sub, action, at: now, correlationId: actor.correlationId, ...facts });
}
