import { maskAccountNumber } from '../../domain/masking.ts';
import { normalizeAccountNumber } from '../../domain/screening.ts';
import { newId } from '../../ids.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { keys } from '../platform/keys.ts';
import { transact } from '../platform/transactions.ts';
import { getFundSettings, type Actor } from '../funds/items.ts';
import { accountHashes } from '../screening/items.ts';
import { blockedAccountItem, blockedAmong, fundExistsStep, putBlockedAccounts } from './items.ts';

/**
 * `POST /v1/funds/{fundId}/blocked-accounts`: each account not on the fund's block list yet gets an entry, keyed
 * under the screening's secret key (the number is never stored, hashed without a key or in the clear); an account
 * named twice, or already blocked, is not added again. One audit entry for the lot.
 */
export async function blockAccounts(
  fundId: string,
  accounts: readonly { accountNumber: string; reason: string }[],
  actor: Actor,
  now: Date,
): Promise<{ added: number }> {
  await getFundSettings(fundId);
  const hashes = await accountHashes(accounts.map((a) => a.accountNumber));
  const firstOf = new Map<string, number>();
  hashes.forEach((h, i) => {
    if (!firstOf.has(h)) firstOf.set(h, i);
  });
  const already = await blockedAmong(fundId, [...firstOf.keys()]);
  const at = now.toISOString();
  const items = [...firstOf]
    .filter(([hash]) => !already.has(hash))
    .map(([hash, i]) =>
      blockedAccountItem(hash, {
        entryId: newId('blockedAccount', now.getTime()),
        fundId,
        accountNumberMasked: maskAccountNumber(normalizeAccountNumber(accounts[i]!.accountNumber)),
        reason: accounts[i]!.reason,
        addedBy: actor.sub,
        addedAt: at,
      }),
    );
  await putBlockedAccounts(items);
  await transact([
    fundExistsStep(fundId),
    actorAuditStep(keys.fund(fundId).pk, actor, 'blocked_accounts.added', now, {
      details: { added: items.length, asked: accounts.length },
    }),
  ]);
  return { added: items.length };
}
