/**
 * The outbox sweeper's sources over one partition of the outbox index (gsi4): the entries due, a page at a time,
 * handed to the context's work. One shape for every kind of deferred work (an expansion, a notice's end, a
 * correction's links, …), so a new kind adds only what it does with an overdue entry.
 */
import { DomainError } from '../../domain/errors.ts';
import { overdueIn, type SweepSource } from './outbox.ts';

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
