import { validateRules, type WarningRule } from '../../domain/warning-rules.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { keys } from '../platform/keys.ts';
import { transact } from '../platform/transactions.ts';
import { getFundSettings, type Actor } from '../funds/items.ts';
import { fundExistsStep, readRules, rulesPutStep } from './items.ts';

/**
 * `PUT /v1/funds/{fundId}/warning-rules`: the rules in force from now on, with an audit entry of the old and the new
 * set in the same transaction. Items created earlier keep the flags they were created with.
 */
export async function setWarningRules(
  fundId: string,
  rules: readonly WarningRule[],
  actor: Actor,
  now: Date,
): Promise<{ rules: WarningRule[] }> {
  const valid = validateRules(rules);
  await getFundSettings(fundId);
  const before = await readRules(fundId);
  await transact([
    fundExistsStep(fundId),
    rulesPutStep(fundId, valid, actor.sub, now),
    actorAuditStep(keys.fund(fundId).pk, actor, 'warning_rules.set', now, {
      details: { before, after: valid },
    }),
  ]);
  return { rules: valid };
}

/** `GET /v1/funds/{fundId}/warning-rules`: a fund that never set them runs the default set. */
export async function getWarningRules(fundId: string): Promise<{ rules: WarningRule[] }> {
  await getFundSettings(fundId);
  return { rules: await readRules(fundId) };
}
