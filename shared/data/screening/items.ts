/**
 * Duplicate-beneficiary screening: the index of which accounts a fund pays, and its reads.
 *
 * Items, in one collection per (fund, account) `BENEF#<fundId>#<hmac of account number>` (the key is the
 * app secret's `screeningKey`; the number itself is never stored here):
 * - `USE#<createdAt>#<dsbId|batchId>` → `{ ref, at }`: one disbursement, or one batch (once however many
 *   of its rows pay the account), that pays the account. TTL after 366 days: older uses never match.
 * - `LATEST` → `{ lastAt }`: when the account was last used. Screening a 5,000-row batch reads these by
 *   BatchGetItem (100 keys per request) and queries the `USE#` entries only of accounts used in the last
 *   365 days (one Query each, however many uses), so an account the fund never paid costs one item read.
 *   `lastAt` is a hint that only has to be late enough: the query decides, so a slightly older `lastAt`
 *   written by a concurrent batch (its Put is unconditional) within `LATEST_SLACK_MS` changes nothing.
 *
 * A disbursement writes its two items in its creation transaction; its LATEST Put is conditional on the
 * `lastAt` its screening read, so two creations paying one account at once cannot both miss each other
 * (the second retries and sees the first). A batch writes them with BatchWriteItem just before its
 * creation transaction (5,000 rows do not fit one); if that transaction then fails, the entries name a
 * batch that does not exist and never match. Rejected and cancelled items are filtered at read by
 * reading the status of the items the entries name (a few per account): no entry has to be moved when
 * an item is rejected, so a rejected 5,000-row batch costs nothing here.
 */
import { accountHash, matchingRefs, screeningCutoff, type AccountUse } from '../../domain/screening.ts';
import { config } from '../../config.ts';
import { appSecrets } from '../../secrets.ts';
import { inParallel, putAll } from '../platform/bulk.ts';
import { beneficiaryUsesSince, keys } from '../platform/keys.ts';
import { queryAll, readByKeys } from '../platform/query.ts';
import { TransactionConflict, type TxStep } from '../platform/transactions.ts';

/** How much older than a use its account's `lastAt` may be (concurrent unconditional writes); generous. */
const LATEST_SLACK_MS = 86_400_000;
/** Uses stay findable a day past the window, then TTL removes them. */
const KEEP_SECONDS = 366 * 86_400;
const QUERY_CONCURRENCY = 8;

export interface Screening {
  /** Account hash → the live items of the fund that already pay it (disbursement or batch ids). */
  matches: Map<string, string[]>;
  /** Account hash → the `lastAt` read (null: never used), for the conditional write of a disbursement. */
  lastAt: Map<string, string | null>;
}

export async function accountHashes(accountNumbers: readonly string[]): Promise<string[]> {
  const { screeningKey } = await appSecrets();
  return accountNumbers.map((n) => accountHash(n, screeningKey));
}

const accountOf = (pk: string) => pk.slice(pk.lastIndexOf('#') + 1);
const headKey = (ref: string) => (ref.startsWith('bat_') ? keys.batch(ref) : keys.disbursement(ref));

/**
 * The earlier live items of `fundId` paying each account (distinct hashes), `self` excluded. Reads the
 * accounts' LATEST items in batches of 100, the uses of recently used accounts, and the status of the
 * items those uses name.
 */
export async function screenAccounts(fundId: string, hashes: readonly string[], now: Date, self?: string): Promise<Screening> {
  const distinct = [...new Set(hashes)];
  const latest = await readByKeys(
    distinct.map((h) => keys.beneficiaryLatest(fundId, h)),
    { expression: 'pk, lastAt' },
  );
  const lastAt = new Map<string, string | null>(distinct.map((h) => [h, null]));
  for (const item of latest) lastAt.set(accountOf(item.pk as string), item.lastAt as string);

  const cutoff = screeningCutoff(now);
  const since = beneficiaryUsesSince(cutoff.toISOString());
  const hintCutoff = new Date(cutoff.getTime() - LATEST_SLACK_MS).toISOString();
  const recent = distinct.filter((h) => {
    const at = lastAt.get(h);
    return at != null && at >= hintCutoff;
  });
  const uses = new Map<string, AccountUse[]>();
  await inParallel(recent, QUERY_CONCURRENCY, async (hash) => {
    const items = await queryAll<{ ref: string; at: string }>({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.beneficiaryLatest(fundId, hash).pk, ':from': since.from, ':to': since.to },
      ProjectionExpression: '#ref, #at',
      ExpressionAttributeNames: { '#ref': 'ref', '#at': 'at' },
      ConsistentRead: true,
    });
    uses.set(
      hash,
      items.map((i) => ({ ref: i.ref, at: i.at })),
    );
  });

  const refs = [...new Set([...uses.values()].flat().map((u) => u.ref))].filter((r) => r !== self);
  const heads = await readByKeys(refs.map(headKey), { expression: 'pk, #status', names: { '#status': 'status' } });
  const status = new Map(heads.map((h) => [(h.pk as string).slice((h.pk as string).indexOf('#') + 1), h.status as string]));
  const matches = new Map<string, string[]>();
  for (const [hash, list] of uses) {
    const live = matchingRefs(list, (ref) => status.get(ref), now, self);
    if (live.length > 0) matches.set(hash, live);
  }
  return { matches, lastAt };
}

const expiresAt = (at: string) => Math.floor(Date.parse(at) / 1000) + KEEP_SECONDS;

function useItem(fundId: string, hash: string, at: string, ref: string): Record<string, unknown> {
  return { ...keys.beneficiaryUse(fundId, hash, at, ref), type: 'beneficiary-use', ref, at, expiresAt: expiresAt(at) };
}

function latestItem(fundId: string, hash: string, lastAt: string): Record<string, unknown> {
  return { ...keys.beneficiaryLatest(fundId, hash), type: 'beneficiary-latest', lastAt, expiresAt: expiresAt(lastAt) };
}

/**
 * A disbursement's index items, as steps of its creation transaction. The LATEST Put holds only if no one
 * used the account since the screening read it: otherwise the creation screens again.
 */
export function disbursementIndexSteps(fundId: string, hash: string, seen: string | null, at: string, disbursementId: string): TxStep[] {
  const table = config().TABLE_NAME;
  const lastAt = seen !== null && seen > at ? seen : at;
  return [
    { item: { Put: { TableName: table, Item: useItem(fundId, hash, at, disbursementId) } } },
    {
      item: {
        Put: {
          TableName: table,
          Item: latestItem(fundId, hash, lastAt),
          ConditionExpression: seen === null ? 'attribute_not_exists(pk)' : 'lastAt = :seen',
          ...(seen === null ? {} : { ExpressionAttributeValues: { ':seen': seen } }),
        },
      },
      onConditionFailed: () => new TransactionConflict(),
    },
  ];
}

/** A batch's index items: one use per distinct account and its LATEST, written before the batch itself. */
export async function writeBatchIndex(fundId: string, hashes: readonly string[], at: string, batchId: string): Promise<void> {
  const distinct = [...new Set(hashes)];
  await putAll(distinct.flatMap((h) => [useItem(fundId, h, at, batchId), latestItem(fundId, h, at)]));
}
