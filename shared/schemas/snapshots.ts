import * as z from 'zod';
import { SNAPSHOT_KINDS } from '../domain/snapshots.ts';
import { Balances, CountyCode, FundTotals, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';
import { FundParams } from './funds.ts';
import { FundProgress } from './progress.ts';

const contract = contractsOf('Funds');

const Month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month, yyyy-mm')
  .meta({ description: 'A calendar month, yyyy-mm (China time)', example: '2026-05' });

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

export const Snapshot = z
  .object({
    snapshotId: idOf('snapshot'),
    fundId: idOf('fund'),
    kind: z.enum(SNAPSHOT_KINDS),
    month: Month.nullable(),
    takenAt: Timestamp,
    totals: z.object(FundTotals),
    allocations: z.array(
      z.object({
        countyCode: CountyCode,
        ...Balances,
        ledger: z
          .object({ seq: z.number().int().min(0), at: Timestamp.nullable() })
          .meta({ description: "The allocation's ledger position: how many entries it has, and the last one's time" }),
      }),
    ),
    progress: FundProgress.omit({ fundId: true }),
    hash: Hash.meta({
      description: "SHA-256 (hex) of the snapshot's canonical JSON: every field but `hash`, keys sorted, no whitespace (RFC 8785)",
    }),
    previousHash: Hash.nullable().meta({ description: "The `hash` of the fund's previous snapshot, monthly or not; null for the first" }),
  })
  .meta({ id: 'Snapshot' });

export const createSnapshot = contract('createSnapshot', "Take a snapshot of a fund's books now, or a missed monthly one", {
  description:
    '`{}` takes one now (`kind: on_demand`); `{ month }` takes the monthly snapshot of a month that was missed (of the books now, labelled with ' +
    "that month): 409 `invalid_state` when that month's snapshot exists, the month has not ended, or the fund did not exist at its end.",
  params: FundParams,
  body: z.strictObject({ month: Month.optional() }).meta({ id: 'CreateSnapshotBody' }),
  responses: { 201: { description: 'The snapshot', schema: Snapshot } },
  errors: ['invalid_state'],
});

export const listSnapshots = contract('listSnapshots', "A fund's snapshots, newest first", {
  params: FundParams,
  query: listQuery(),
  responses: pageResponse('A page of snapshots', Snapshot, 'SnapshotPage'),
});

export const getSnapshot = contract('getSnapshot', 'One snapshot', {
  params: z.strictObject({ fundId: idOf('fund'), snapshotId: idOf('snapshot') }),
  responses: { 200: { description: 'The snapshot', schema: Snapshot } },
});
