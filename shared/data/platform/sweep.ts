/**
 * The outbox sweeper's sources over one partition of the outbox index (gsi4): the entries due, a page at a time,
 * handed to the context's work. One shape for every kind of deferred work (an expansion, a notice's end, a
 * correction's links, …), so a new kind adds only what it does with an overdue entry.
 */
import { DomainError } from '../../domain/errors.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.ts';
import { appliedUnlessRefused, documents } from './clients.ts';
import { parseOutboxSortKey } from './events.ts';
import { queryPages } from './query.ts';

/**
 * Something the outbox sweeper re-queues: committed work whose job may have been lost. Each source
 * finds what is overdue at `cutoff` and queues it again; the consumers are idempotent, so queueing
 * twice costs a no-op, never a second payment. (Batch expansions become another source.)
 */
export interface SweepSource {
  name: string;
  sweep(cutoff: Date): Promise<{ found: number; queued: number }>;
}

/**
 * Ids of the entries in one partition of the outbox index (gsi4) due before `cutoff`, a page at a time.
 * Keys only: the id follows the due time in the sort key (`<due>#<id>`).
 */
export async function* overdueIn(partition: string, cutoff: Date, pageSize = 500): AsyncGenerator<string[]> {
  const pages = queryPages({
    IndexName: 'gsi4',
    KeyConditionExpression: 'gsi4pk = :partition AND gsi4sk < :cutoff',
    ExpressionAttributeValues: { ':partition': partition, ':cutoff': cutoff.toISOString() },
    Limit: pageSize,
  });
  for await (const page of pages) {
    const ids = page.map((i) => parseOutboxSortKey(i.gsi4sk as string).messageId).filter(Boolean);
    if (ids.length > 0) yield ids;
  }
}

/**
 * A long job's heartbeat (a batch's expansion, its verification requests): moves the entry of the item it works on
 * in the sweeper's index (`gsi4sk`) forward, so that the sweeper leaves a working job alone. One conditional
 * UpdateItem, not a transaction, so that the job's chunks in flight at once do not cancel each other's. False when
 * `condition` no longer holds: the job's work is over (another run finished it) or no longer wanted.
 */
export async function heartbeat(
  key: { pk: string; sk: string },
  sortKey: string,
  condition: { expression: string; names?: Record<string, string>; values: Record<string, unknown> },
): Promise<boolean> {
  return appliedUnlessRefused(() =>
    documents.send(
      new UpdateCommand({
        TableName: config().TABLE_NAME,
        Key: key,
        UpdateExpression: 'SET gsi4sk = :heartbeatDue',
        ConditionExpression: condition.expression,
        ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
        ExpressionAttributeValues: { ...condition.values, ':heartbeatDue': sortKey },
      }),
    ),
  );
}

/** Which entries of the outbox index a source looks after, and what it does with those that are due. */
export type OverdueWork = {
  name: string;
  /** The outbox index partition the entries are due in. */
  partition: string;
  /**
   * `cutoff` (the default): due once the sweeper's cutoff has passed the entry (work that made no progress).
   * `clock`: due the moment its time passes (a notice's end, a subsidy's release).
   */
  dueBy?: 'cutoff' | 'clock';
} & (
  | {
      /** Queues the work of one page of entries; answers how many it queued. */
      page(ids: string[], due: Date): Promise<number>;
    }
  | {
      /** Does the work of one entry; answers whether it did (false: done already, nothing to do). */
      each(id: string, due: Date): Promise<boolean>;
      /** A DomainError for one entry is handed here and the others go on; without it, it is thrown. */
      refused?: (id: string, error: DomainError) => void;
    }
);

export function overdueSource(work: OverdueWork): SweepSource {
  return {
    name: work.name,
    async sweep(cutoff) {
      const due = work.dueBy === 'clock' ? new Date() : cutoff;
      let found = 0;
      let queued = 0;
      for await (const ids of overdueIn(work.partition, due)) {
        found += ids.length;
        queued += 'page' in work ? await work.page(ids, due) : await eachDone(ids, (id) => work.each(id, due), work.refused);
      }
      return { found, queued };
    },
  };
}

/**
 * Does `work` for each entry in turn and counts those it did; a refused entry is left to the next sweep.
 */
async function eachDone(
  ids: readonly string[],
  work: (id: string) => Promise<boolean>,
  refused?: (id: string, error: DomainError) => void,
): Promise<number> {
  let done = 0;
  for (const id of ids) {
    try {
      if (await work(id)) done += 1;
    } catch (error) {
      if (!(refused && error instanceof DomainError)) throw error;
      refused(id, error);
    }
  }
  return done;
}
