/**
 * Duplicate-beneficiary screening: the index of which accounts a fund pays, and its reads.
 *
 * Items, in one collection per (fund, account) `BENEF#<fundId>#<hmac of account number>` (the key is the
 * app secret's `screeningKey`; the number itself is never stored here):
 * - `USE#<createdAt>#<dsbId|batchId>` → `{ ref, at, nameKeys }`: one disbursement, or one batch (once however many
 *   of its rows pay the account), that pays the account, with the account names it was requested under as keyed
 *   hashes (`accountNameHash`, for the `shared_account` rule). TTL after 366 days: older uses never match.
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
  /** Account hash → the names (keyed hashes) earlier existing items of the fund requested it under, `self` excluded. */
  names: Map<string, { ref: string; nameKey: string; at: string }[]>;
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
  const uses = new Map<string, (AccountUse & { nameKeys: string[] })[]>();
  await inParallel(recent, QUERY_CONCURRENCY, async (hash) => {
    const items = await queryAll<{ ref: string; at: string; nameKeys?: string[] }>({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.beneficiaryLatest(fundId, hash).pk, ':from': since.from, ':to': since.to },
      ProjectionExpression: '#ref, #at, nameKeys',
      ExpressionAttributeNames: { '#ref': 'ref', '#at': 'at' },
      ConsistentRead: true,
    });
    uses.set(
      hash,
      items.map((i) => ({ ref: i.ref, at: i.at, nameKeys: i.nameKeys ?? [] })),
    );
  });

  const refs = [...new Set([...uses.values()].flat().map((u) => u.ref))].filter((r) => r !== self);
  const heads = await readByKeys(refs.map(headKey), { expression: 'pk, #status', names: { '#status': 'status' } });
  const status = new Map(heads.map((h) => [(h.pk as string).slice((h.pk as string).indexOf('#') + 1), h.status as string]));
  const matches = new Map<string, string[]>();
  const names = new Map<string, { ref: string; nameKey: string; at: string }[]>();
  for (const [hash, list] of uses) {
    const live = matchingRefs(list, (ref) => status.get(ref), now, self);
    if (live.length > 0) matches.set(hash, live);
    // A request under another name counts whatever became of it, as long as it exists.
    const named = list
      .filter((u) => u.ref !== self && status.has(u.ref))
      .flatMap((u) => u.nameKeys.map((nameKey) => ({ ref: u.ref, nameKey, at: u.at })));
    if (named.length > 0) names.set(hash, named);
  }
  return { matches, lastAt, names };
}

const expiresAt = (at: string) => Math.floor(Date.parse(at) / 1000) + KEEP_SECONDS;

function useItem(fundId: string, hash: string, at: string, ref: string, nameKeys: readonly string[]): Record<string, unknown> {
  return {
    ...keys.beneficiaryUse(fundId, hash, at, ref),
    type: 'beneficiary-use',
    ref,
    at,
    nameKeys: [...nameKeys],
    expiresAt: expiresAt(at),
  };
}

function latestItem(fundId: string, hash: string, lastAt: string): Record<string, unknown> {
  return { ...keys.beneficiaryLatest(fundId, hash), type: 'beneficiary-latest', lastAt, expiresAt: expiresAt(lastAt) };
}

/**
 * A disbursement's index items, as steps of its creation transaction. The LATEST Put holds only if no one
 * used the account since the screening read it: otherwise the creation screens again.
 */
export function disbursementIndexSteps(
  fundId: string,
  hash: string,
  nameKey: string,
  seen: string | null,
  at: string,
  disbursementId: string,
): TxStep[] {
  const table = config().TABLE_NAME;
  const lastAt = seen !== null && seen > at ? seen : at;
  return [
    { item: { Put: { TableName: table, Item: useItem(fundId, hash, at, disbursementId, [nameKey]) } } },
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

/**
 * A batch's index items: one use per distinct account (with every name its rows give it) and its LATEST, written
 * before the batch itself. `nameKeys[i]` is the name of the row of `hashes[i]`.
 */
export async function writeBatchIndex(
  fundId: string,
  hashes: readonly string[],
  nameKeys: readonly string[],
  at: string,
  batchId: string,
): Promise<void> {
  const namesOf = new Map<string, Set<string>>();
  hashes.forEach((h, i) => namesOf.set(h, (namesOf.get(h) ?? new Set()).add(nameKeys[i]!)));
  await putAll([...namesOf].flatMap(([h, names]) => [useItem(fundId, h, at, batchId, [...names]), latestItem(fundId, h, at)]));
}
