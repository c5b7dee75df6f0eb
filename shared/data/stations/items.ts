/**
 * Service stations: every state change is ONE transaction of the station (status + version
 * condition), the operator's uniqueness item when the slot changes hands, the audit entry, the
 * county aggregates and, for activation and suspension, the webhook event.
 *
 * Items:
 * - station `STN#<id> / STN`, `status` and `countyCode` at top level (the disbursement approval
 *   checks `status = active AND countyCode = :county` on it). Listing: `gsi1pk = STATIONS`,
 *   by county: `gsi2pk = COUNTY#<code>#STN`; both sorted by station id (newest last).
 * - stations version `COUNTY#<code> / STATIONS#VERSION` → `{ stationsVersion }`, bumped in the same transaction
 *   as every status change of a station of that county: a batch naming more stations than one transaction
 *   can check one by one reads them all and commits on this one item being unchanged.
 * - operator slot `OPERATOR#<hmac of national ID> / OPERATOR` → `{ stationId }`, present while that
 *   station is applied or active; `attribute_not_exists` on it makes "one operator, one live station"
 *   race-free. The national ID itself is never stored: only this keyed hash and its mask. The key is
 *   the PII secret's `piiHashKey` (shared/secrets.ts), which only the stations function can read.
 */
import type { Actor } from '../../domain/roles.ts';
import { DomainError, invalidState, notFound } from '../../domain/errors.ts';
import { nationalIdHash } from '../../domain/personal-data.ts';
import {
  applyForStation,
  decideStation,
  presentStation,
  type Station,
  type StationApplication,
  type StationCommand,
  type StationStatus,
} from '../../domain/stations.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { piiSecrets } from '../../secrets.ts';
import { actorAuditStep, auditStep } from '../platform/audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { countyExistsStep } from '../counties/items.ts';
import { statsStep } from '../counties/stats.ts';
import { enqueueEvents, eventStep, queuedIds } from '../platform/events.ts';
import { subscriptionsOnce } from '../webhook-endpoints/subscriptions.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryPage, type Page } from '../platform/query.ts';
import { retryOnConflict, transact, TransactionConflict, versionedChangeStep, type TxStep } from '../platform/transactions.ts';
import { storedFields } from '../platform/fields.ts';

export type { Actor } from '../../domain/roles.ts';

const STATION_LIST = 'STATIONS';
const countyList = (countyCode: string) => `COUNTY#${countyCode}#STN`;

const stationFields = storedFields<Station>();

export function toStation(item: Record<string, unknown>): Station {
  return {
    ...stationFields(item, ['stationId', 'countyCode', 'village', 'name', 'kind', 'status', 'operator', 'training', 'createdBy'], {
      training: null,
    }),
    suspendedBy: suspenderOf(item),
    ...stationFields(item, ['createdAt', 'updatedAt', 'history', 'version'], { history: [] }),
  };
}

/**
 * Who suspended a suspended station. Items written before `suspendedBy` existed still name the
 * officer in the history's last suspension, so the four-eyes rule holds for them too.
 */
function suspenderOf(item: Record<string, unknown>): string | null {
  if (item.status !== 'suspended') return null;
  if (typeof item.suspendedBy === 'string') return item.suspendedBy;
  const history = (item.history as Station['history'] | undefined) ?? [];
  return history.findLast((h) => h.action === 'suspended')?.actor ?? null;
}

interface StoredStation {
  station: Station;
  operatorHash: string;
}

async function readStation(stationId: string): Promise<StoredStation | undefined> {
  const Item = await getItem(keys.station(stationId));
  if (!Item || Item.type !== 'station') return undefined;
  return { station: toStation(Item), operatorHash: Item.operatorHash as string };
}

export async function getStation(stationId: string): Promise<Station> {
  const stored = await readStation(stationId);
  if (!stored) throw notFound(`Station ${stationId}`);
  return stored.station;
}

const operatorTaken = () =>
  new DomainError(
    'operator_already_registered',
    'This operator already has a station that is applied or active; one operator runs one station',
  );

function acquireOperatorStep(operatorHash: string, stationId: string, at: string): TxStep {
  return {
    item: {
      Put: {
        TableName: config().TABLE_NAME,
        Item: { ...keys.stationOperator(operatorHash), type: 'station-operator', stationId, acquiredAt: at },
        // The station's own slot counts as free: a retried transaction may find it already written.
        ConditionExpression: 'attribute_not_exists(pk) OR stationId = :station',
        ExpressionAttributeValues: { ':station': stationId },
      },
    },
    onConditionFailed: operatorTaken,
  };
}

function releaseOperatorStep(operatorHash: string, stationId: string): TxStep {
  return {
    item: {
      Delete: {
        TableName: config().TABLE_NAME,
        Key: keys.stationOperator(operatorHash),
        // Never free a slot another station holds.
        ConditionExpression: 'attribute_not_exists(pk) OR stationId = :station',
        ExpressionAttributeValues: { ':station': stationId },
      },
    },
    onConditionFailed: () => new Error(`station invariant: operator slot of ${stationId} held by another station`),
  };
}

function stationItem(station: Station, operatorHash: string): Record<string, unknown> {
  return {
    ...keys.station(station.stationId),
    type: 'station',
    ...station,
    operatorHash,
    gsi1pk: STATION_LIST,
    gsi1sk: station.stationId,
    gsi2pk: countyList(station.countyCode),
    gsi2sk: station.stationId,
  };
}

/**
 * A new station in `applied`: the county must exist (404) and the operator must not hold a live
 * station (409 `operator_already_registered`), decided by the uniqueness item in the same transaction.
 */
export async function applyStation(
  application: Omit<StationApplication, 'stationId'>,
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
): Promise<Station> {
  const earlier = await createdEarlier(claim, now, getStation);
  if (earlier) return earlier;
  const stationId = newId('station', now.getTime());
  const station = applyForStation({ ...application, stationId }, actor.sub, now);
  const { piiHashKey } = await piiSecrets();
  const operatorHash = nationalIdHash(application.operator.nationalId, piiHashKey);
  const at = now.toISOString();
  await retryOnConflict(() =>
    transact([
      ...claimSteps(claim, stationId, now),
      countyExistsStep(application.countyCode),
      {
        item: {
          Put: {
            TableName: config().TABLE_NAME,
            Item: stationItem(station, operatorHash),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      acquireOperatorStep(operatorHash, stationId, at),
      actorAuditStep(keys.station(stationId).pk, actor, 'station.applied', now, {
        fromStatus: null,
        toStatus: 'applied',
        details: { countyCode: application.countyCode, kind: application.kind },
      }),
      statsStep(application.countyCode, 'stations', { applied: 1 }, stationId),
    ]),
  );
  return station;
}

/**
 * Decides a command on the station as read, then commits it conditional on the version it was
 * decided from; when another officer changed the station meanwhile, reads and decides again.
 */
export async function changeStation(stationId: string, command: StationCommand, actor: Actor, now: Date): Promise<Station> {
  // Which types anyone listens to, read once for the request (retries included), only if an event is written.
  const subscriptions = subscriptionsOnce();
  const { station, messageIds } = await retryOnConflict(async () => {
    const stored = await readStation(stationId);
    if (!stored) throw notFound(`Station ${stationId}`);
    const change = decideStation(stored.station, command, actor.sub, now);
    const { before, after, entry } = change;
    const steps: TxStep[] = [
      // Any condition failure here means the station moved since it was read: decide again.
      versionedChangeStep({
        key: keys.station(stationId),
        what: `Station ${stationId}`,
        version: before.version,
        status: before.status,
        now,
        set: { status: after.status, training: after.training, suspendedBy: after.suspendedBy },
        append: { history: [entry] },
      }),
      auditStep(keys.station(stationId).pk, {
        actor: actor.sub,
        action: `station.${entry.action}`,
        at: now,
        correlationId: actor.correlationId,
        fromStatus: entry.fromStatus,
        toStatus: entry.toStatus,
        reason: entry.reason,
        details: { countyCode: before.countyCode },
      }),
    ];
    if (change.operatorSlot === 'acquire') steps.push(acquireOperatorStep(stored.operatorHash, stationId, after.updatedAt));
    if (change.operatorSlot === 'release') steps.push(releaseOperatorStep(stored.operatorHash, stationId));
    if (after.status !== before.status) steps.push(stationsVersionBumpStep(before.countyCode));
    if (Object.values(change.counts).some((n) => n !== 0)) {
      steps.push(statsStep(before.countyCode, 'stations', change.counts, stationId));
    }
    const ids: string[] = [];
    if (change.event) {
      const event = eventStep(change.event, stationId, { ...presentStation(after) }, now, {
        subscribed: (await subscriptions())(change.event),
      });
      steps.push(event.step);
      ids.push(...queuedIds([event]));
    }
    await transact(steps);
    return { station: after, messageIds: ids };
  });
  if (messageIds.length > 0) await enqueueEvents(messageIds);
  return station;
}

export async function listStations(filter: {
  countyCode?: string;
  status?: StationStatus;
  limit: number;
  cursor?: string;
}): Promise<Page<Station>> {
  const byCounty = filter.countyCode !== undefined;
  const values: Record<string, unknown> = { ':list': byCounty ? countyList(filter.countyCode!) : STATION_LIST };
  if (filter.status !== undefined) values[':status'] = filter.status;
  const page = await queryPage({
    index: byCounty ? 'gsi2' : 'gsi1',
    keyCondition: byCounty ? 'gsi2pk = :list' : 'gsi1pk = :list',
    filter: filter.status !== undefined ? '#status = :status' : undefined,
    names: filter.status !== undefined ? { '#status': 'status' } : undefined,
    values,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `stations|${filter.countyCode ?? ''}|${filter.status ?? ''}`,
  });
  return { items: page.items.map(toStation), nextCursor: page.nextCursor };
}

/**
 * A payment to a station requires it active in the payment's county: checked inside the transaction
 * that creates a disbursement and again in the final approval of a disbursement or a batch.
 */
export function stationActiveStep(stationId: string, countyCode: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.station(stationId),
        ConditionExpression: 'attribute_exists(pk) AND #status = :active AND countyCode = :county',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'active', ':county': countyCode },
      },
    },
    onConditionFailed: (old) =>
      old ? invalidState(`Station ${stationId} is not active in county ${countyCode}`) : notFound(`Station ${stationId}`),
  };
}

/** Moves the county's stations version on: part of every station status change (a station never changes county). */
function stationsVersionBumpStep(countyCode: string): TxStep {
  return {
    item: {
      Update: {
        TableName: config().TABLE_NAME,
        Key: keys.countyStations(countyCode),
        UpdateExpression: 'SET #type = :type ADD stationsVersion :one',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': 'county-stations', ':one': 1 },
      },
    },
  };
}

/** The county's stations version, read consistently; 0 while no station of the county has changed status. */
export async function readStationsVersion(countyCode: string): Promise<number> {
  const item = await getItem(keys.countyStations(countyCode));
  return (item?.stationsVersion as number | undefined) ?? 0;
}

/**
 * No station of the county changed status since its version was read (before its stations were read):
 * one ConditionCheck covers any number of them. A change in between cancels the transaction as a
 * conflict, so the caller reads the stations again and decides on what they are now.
 */
export function stationsUnchangedStep(countyCode: string, version: number): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.countyStations(countyCode),
        ConditionExpression: version === 0 ? 'attribute_not_exists(stationsVersion)' : 'stationsVersion = :version',
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': version } }),
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
}
