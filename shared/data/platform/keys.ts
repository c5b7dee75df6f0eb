/**
 * Key builders for the items of the single table that several contexts address (DeBrie / ElectroDB
 * style), and the platform's index partitions. A context's own keys and listing partitions live in its
 * items.ts; no verb file writes key text (test/unit/key-prefixes.test.ts holds both, and that no two
 * key shapes can meet). `pk`/`sk` address an item; `gsiN` values put it into a listing. Audit entries live in their
 * entity's item collection (`sk = AUDIT#<ulid>`) so an entity's trail is one Query away.
 */
import { shardOf } from '../../ids.ts';

/**
 * How many partitions a fund's allocations are spread over, by county code (the same hash and count as its ledger's
 * shards, ledger/items.ts): at 2,000 payouts/s per fund the busiest takes about 700 write units/s (docs/scale.md).
 */
export const ALLOCATION_SHARDS = 16;

const allocationShard = (fundId: string, n: number) => `ALLOCS#${fundId}#${n}`;
/** The sort-key family of allocations in every partition of `allocationPartitions`, for a begins_with Query. */
export const ALLOCATION_PREFIX = 'ALLOC#';

/**
 * How many partitions a fund's half-year report figures are spread over, by the id of the entity counted: a cycle
 * where every create of 2,000/s raises a flag takes about 4,000 units/s in all, 250 a partition (docs/scale.md).
 */
export const REPORT_STATS_SHARDS = 16;

const reportStatsShard = (fundId: string, n: number) => `RSTATS#${fundId}#${n}`;
/** The sort-key family of report figures, in the shards and (stored before them) in the fund's partition. */
export const REPORT_STATS_PREFIX = 'RSTATS#';

/**
 * How many copies of every endpoint's subscriptions there are (../webhook-endpoints/copies.ts): each event's
 * producer reads one at random, so the 3,000 read units/s of 2,000 payouts/s are about 375 a copy (docs/scale.md).
 */
export const SUBSCRIPTION_COPIES = 8;

/** The copies' `type`, so that a scan of the table tells them apart. */
export const SUBSCRIPTIONS_TYPE = 'webhook-subscriptions';

export const keys = {
  county: (countyCode: string) => ({ pk: `COUNTY#${countyCode}`, sk: 'COUNTY' }),
  /** Running aggregates for the county report, one item per county and topic (kept in the same transactions). */
  countyStats: (countyCode: string, topic: string) => ({ pk: `COUNTY#${countyCode}`, sk: `STATS#${topic}` }),
  fund: (fundId: string) => ({ pk: `FUND#${fundId}`, sk: 'FUND' }),
  /**
   * A county's allocation, in one of its fund's ALLOCATION_SHARDS partitions by county: every approval and roll-up
   * writes it, so the fund's 800 allocations are spread over partitions of their own instead of the fund's.
   */
  allocation: (fundId: string, countyCode: string) => ({
    pk: allocationShard(fundId, shardOf(countyCode, ALLOCATION_SHARDS)),
    sk: `ALLOC#${countyCode}`,
  }),
  /** An allocation stored before the shards, in the fund's partition: read, and moved to `allocation` by its next write. */
  allocationBefore: (fundId: string, countyCode: string) => ({ pk: `FUND#${fundId}`, sk: `ALLOC#${countyCode}` }),
  /**
   * Running figures of a fund's half-year report (failures, flags, objections, notices): one item per half in each of
   * the fund's REPORT_STATS_SHARDS partitions of its own, so a cycle's flags and failures stay off `FUND#<fundId>`.
   */
  fundReportStats: (fundId: string, half: string, shard: number) => ({ pk: reportStatsShard(fundId, shard), sk: `RSTATS#${half}` }),
  /** Report figures stored before the shards, in the fund's partition (4 items a half): read and summed, never moved. */
  fundReportStatsBefore: (fundId: string, half: string, shard: number) => ({ pk: `FUND#${fundId}`, sk: `RSTATS#${half}#${shard}` }),
  /** `fund.alert` raised: once per fund, county, alert code and calendar month (China time). */
  fundAlertRaised: (fundId: string, countyCode: string, code: string, month: string) => ({
    pk: `FUND#${fundId}`,
    sk: `ALERT#${countyCode}#${code}#${month}`,
  }),
  disbursement: (disbursementId: string) => ({ pk: `DSB#${disbursementId}`, sk: 'DSB' }),
  batch: (batchId: string) => ({ pk: `BAT#${batchId}`, sk: 'BAT' }),
  payout: (payoutId: string) => ({ pk: `PAY#${payoutId}`, sk: 'PAY' }),
  /**
   * A payout settled `succeeded` under this bank reference, written by its settlement: reconciliation finds the
   * payouts a reference names with one Query of its paying system's partition, on whatever day they settled.
   */
  bankReference: (payer: string, bankReference: string, payoutId: string) => ({
    pk: `BANKREF#${payer}#${bankReference}`,
    sk: `PAY#${payoutId}`,
  }),
  /** The reference's summary beside them: how many payouts it names and the first, so a reference named once needs no Query. */
  bankReferenceSummary: (payer: string, bankReference: string) => ({ pk: `BANKREF#${payer}#${bankReference}`, sk: 'REF' }),
  /** A bank-statement reconciliation's head (payer, date, counts) and its result in parts (`PART#0000`, …). */
  reconciliation: (reconciliationId: string) => ({ pk: `RCN#${reconciliationId}`, sk: 'RCN' }),
  reconciliationPart: (reconciliationId: string, n: number) => ({
    pk: `RCN#${reconciliationId}`,
    sk: `PART#${String(n).padStart(4, '0')}`,
  }),
  campaign: (campaignId: string) => ({ pk: `CMP#${campaignId}`, sk: 'CMP' }),
  station: (stationId: string) => ({ pk: `STN#${stationId}`, sk: 'STN' }),
  /** A county's stations version, bumped by every station status change there (a batch approval checks it once). */
  countyStations: (countyCode: string) => ({ pk: `COUNTY#${countyCode}`, sk: 'STATIONS#VERSION' }),
  /** One operator, one live station: held while a station is applied/active, keyed by the national ID's keyed hash. */
  stationOperator: (nationalIdHash: string) => ({ pk: `OPERATOR#${nationalIdHash}`, sk: 'OPERATOR' }),
  /**
   * Duplicate screening (../screening/items.ts): one use of a beneficiary account (keyed hash) by a fund, and the
   * account's latest use, one item per (fund, account) that a batch's screening reads by BatchGetItem.
   */
  beneficiaryUse: (fundId: string, accountHash: string, at: string, ref: string) => ({
    pk: `BENEF#${fundId}#${accountHash}`,
    sk: `USE#${at}#${ref}`,
  }),
  beneficiaryLatest: (fundId: string, accountHash: string) => ({ pk: `BENEF#${fundId}#${accountHash}`, sk: 'LATEST' }),
  /**
   * Warning rules (../warning-rules/items.ts), beside the account's screening items so that one BatchGetItem reads
   * them with LATEST: the account's block-list entry, and its newest settled payouts (`repeat_payee`).
   */
  beneficiaryBlocked: (fundId: string, accountHash: string) => ({ pk: `BENEF#${fundId}#${accountHash}`, sk: 'BLOCKED' }),
  beneficiaryPaid: (fundId: string, accountHash: string) => ({ pk: `BENEF#${fundId}#${accountHash}`, sk: 'PAID' }),
  /** A fund's warning rules (预警); absent: the default set. */
  warningRules: (fundId: string) => ({ pk: `FUND#${fundId}`, sk: 'WARNING_RULES' }),
  /** One flag of one item (disbursement or batch) waiting for its due time, for `flag.overdue`. */
  flagDue: (ref: string, code: string) => ({ pk: `FLAGDUE#${ref}`, sk: `DUE#${code}` }),
  webhookEndpoint: (endpointId: string) => ({ pk: `WHE#${endpointId}`, sk: 'WHE' }),
  /** A line of an endpoint's delivery log, in one of its shards (../webhook-endpoints/items.ts, DELIVERY_LOG_SHARDS). */
  webhookDelivery: (endpointId: string, shard: number, deliveryId: string) => ({
    pk: `WHE#${endpointId}#${shard}`,
    sk: `DLV#${deliveryId}`,
  }),
  /** One of the SUBSCRIPTION_COPIES copies of every endpoint's subscriptions (../webhook-endpoints/copies.ts). */
  webhookSubscriptions: (copy: number) => ({ pk: `SUBS#${copy}`, sk: 'SUBS' }),
  event: (messageId: string) => ({ pk: `EVT#${messageId}`, sk: 'EVT' }),
  /** A create's Idempotency-Key (keyed hash with its caller), claimed in the create's own transaction. */
  idempotencyClaim: (keyHash: string) => ({ pk: `IDEM#CLAIM#${keyHash}`, sk: 'CLAIM' }),
  audit: (entityPk: string, auditId: string) => ({ pk: entityPk, sk: `AUDIT#${auditId}` }),
} as const;

/** Every partition a fund's allocations may be in: the fund's own (those stored before the shards) first, then the shards. */
export const allocationPartitions = (fundId: string): string[] => [
  keys.fund(fundId).pk,
  ...Array.from({ length: ALLOCATION_SHARDS }, (_, n) => allocationShard(fundId, n)),
];

/** Every partition a fund's report figures may be in: the fund's own (figures stored before the shards) first, then the shards. */
export const reportStatsPartitions = (fundId: string): string[] => [
  keys.fund(fundId).pk,
  ...Array.from({ length: REPORT_STATS_SHARDS }, (_, n) => reportStatsShard(fundId, n)),
];

export type ItemKey = { pk: string; sk: string };

/**
 * Index partitions of platform items, sharded by `n`: the outbox (`gsi4pk`, ./events.ts, ./outbox.ts) and
 * the event log's listings (`gsi1pk` every event, `gsi2pk` by type, `gsi3pk` by paying system).
 */
export const indexKeys = {
  outbox: (n: number) => `OUTBOX#${n}`,
  allEvents: (n: number) => `EVENTS#${n}`,
  eventsOfType: (eventType: string, n: number) => `EVT#TYPE#${eventType}#${n}`,
  eventsOfPayer: (payer: string, n: number) => `EVT#PAYER#${payer}#${n}`,
} as const;

/** The sort-key range of an account's uses since `at` (`keys.beneficiaryUse`), for a BETWEEN Query: `~` sorts after every time. */
export const beneficiaryUsesSince = (at: string) => ({ from: `USE#${at}`, to: 'USE#~' });

/** The sort-key family of a bank reference's payouts (`keys.bankReference`), for a begins_with Query. */
export const BANK_REFERENCE_PAYOUTS = 'PAY#';
