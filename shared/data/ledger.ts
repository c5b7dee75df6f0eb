/**
 * The fund ledger: every change of an allocation's balances, as an immutable entry written in the same
 * transaction as the change.
 *
 * Items: entry `LEDGER#<fundId> / <at>#<countyCode>#<seq>` (oldest first by time; a county's entries in
 * the order of `seq`, because each entry's `at` is never earlier than its county's previous entry). The
 * allocation item counts its entries (`seq`) and remembers the last one's time (`ledgerAt`).
 *
 * A move reads the allocation, computes the balance after it (shared/domain/ledger.ts), and writes the
 * allocation and the entry conditional on `seq` being what it read: an entry's `balance` is always the
 * allocation right after it, and replaying a county's entries from zero gives the allocation exactly.
 * Another move in between fails the condition; the caller reads again and decides again.
 */
import { DomainError } from '../domain/errors.ts';
import { applyEntry, LedgerViolation, MOVE_KIND, type LedgerKind, type LedgerLine, type Move } from '../domain/ledger.ts';
import { newId } from '../ids.ts';
import { config } from '../config.ts';
import { keys } from './keys.ts';
import { getItem, queryPage, type Page } from './query.ts';
import { transact, TransactionConflict, type TxStep } from './transactions.ts';

/** What a ledger entry points at: the disbursement, batch, payout or campaign that moved the money. */
export interface LedgerRef {
  disbursementId?: string;
  batchId?: string;
  payoutId?: string;
  campaignId?: string;
}

export interface LedgerEntry {
  entryId: string;
  at: string;
  countyCode: string;
  kind: LedgerKind;
  amount: number;
  ref: LedgerRef;
  actor: string;
  balance: LedgerLine;
}

/** An allocation as a move reads it: its balances, how many entries it has, and the last one's time. */
export interface LedgerPosition extends LedgerLine {
  fundId: string;
  countyCode: string;
  seq: number;
  ledgerAt: string | null;
}

export const ledgerPartition = (fundId: string) => `LEDGER#${fundId}`;
const SEQ_DIGITS = 12;

export function toPosition(item: Record<string, unknown>): LedgerPosition {
  return {
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    allocated: item.allocated as number,
    reserved: item.reserved as number,
    paid: item.paid as number,
    available: item.available as number,
    seq: (item.seq as number | undefined) ?? 0,
    ledgerAt: (item.ledgerAt as string | undefined) ?? null,
  };
}

/** The allocation, read consistently, or undefined when the fund has none for the county. */
export async function readPosition(fundId: string, countyCode: string): Promise<LedgerPosition | undefined> {
  const item = await getItem(keys.allocation(fundId, countyCode));
  return item ? toPosition(item) : undefined;
}

/** Like readPosition, but a missing allocation is the contract's `insufficient_allocation`. */
export async function requirePosition(fundId: string, countyCode: string): Promise<LedgerPosition> {
  const position = await readPosition(fundId, countyCode);
  if (!position) throw new DomainError('insufficient_allocation', 'The fund has no allocation for this county');
  return position;
}

export interface LedgerChange {
  position: LedgerPosition;
  kind: LedgerKind;
  amount: number;
  ref: LedgerRef;
  actor: string;
  now: Date;
  /** Extra attributes for the allocation. */
  set?: Record<string, unknown>;
  /** The allocation does not exist yet: it is put, with these attributes besides its balances. */
  create?: Record<string, unknown>;
}

/** The allocation's move and its ledger entry, as two transaction steps; the balance after the entry. */
export function ledgerChangeSteps(change: LedgerChange): { steps: TxStep[]; balance: LedgerLine; entry: LedgerEntry } {
  const { position, kind, amount, now } = change;
  const balance = applyEntry(position, kind, amount);
  // Never earlier than the county's previous entry, so time order and seq order agree.
  const at = position.ledgerAt && position.ledgerAt > now.toISOString() ? position.ledgerAt : now.toISOString();
  const seq = position.seq + 1;
  const entry: LedgerEntry = {
    entryId: newId('ledgerEntry', Date.parse(at)),
    at,
    countyCode: position.countyCode,
    kind,
    amount,
    ref: change.ref,
    actor: change.actor,
    balance,
  };
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':allocated': balance.allocated,
    ':reserved': balance.reserved,
    ':paid': balance.paid,
    ':available': balance.available,
    ':seq': position.seq,
    ':next': seq,
    ':at': at,
    ':now': now.toISOString(),
  };
  const assignments = [
    'allocated = :allocated',
    'reserved = :reserved',
    'paid = :paid',
    'available = :available',
    'seq = :next',
    'ledgerAt = :at',
    'updatedAt = :now',
  ];
  // Idle money (shared/domain/progress.ts) is the time since the allocation's last reservation.
  if (kind === 'reserved') assignments.push('lastReservedAt = :at');
  Object.entries(change.set ?? {}).forEach(([name, value], i) => {
    names[`#x${i}`] = name;
    values[`:x${i}`] = value;
    assignments.push(`#x${i} = :x${i}`);
  });
  const table = config().TABLE_NAME;
  const key = keys.allocation(position.fundId, position.countyCode);
  const allocation: TxStep = change.create
    ? {
        item: {
          Put: {
            TableName: table,
            Item: { ...key, ...change.create, ...change.set, ...balance, seq, ledgerAt: at, updatedAt: now.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      }
    : {
        item: {
          Update: {
            TableName: table,
            Key: key,
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ConditionExpression: position.seq === 0 ? 'attribute_exists(pk) AND (attribute_not_exists(seq) OR seq = :seq)' : 'seq = :seq',
            ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: values,
          },
        },
        // Another move got in first: the allocation as it is now comes back with the refusal.
        onConditionFailed: (old) => (old ? new PositionMoved(toPosition(old)) : new TransactionConflict()),
      };
  const put: TxStep = {
    item: {
      Put: {
        TableName: table,
        Item: {
          pk: ledgerPartition(position.fundId),
          sk: `${at}#${position.countyCode}#${String(seq).padStart(SEQ_DIGITS, '0')}`,
          type: 'ledger-entry',
          fundId: position.fundId,
          seq,
          ...entry,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    onConditionFailed: () => new TransactionConflict(),
  };
  return { steps: [allocation, put], balance, entry };
}

/** The allocation moved between our read and our write; carries it as it is now. */
export class PositionMoved extends TransactionConflict {
  constructor(readonly position: LedgerPosition) {
    super();
  }
}

/** Commits without re-reading anything but the allocation after another move of it got in first. */
const POSITION_ATTEMPTS = 25;

/** Moves of one allocation in flight in this process, chained: they take turns instead of colliding. */
const lanes = new Map<string, Promise<void>>();

/**
 * Commits a transaction built around one allocation's ledger position. Moves of the same allocation
 * from this process take turns (a local runtime or a test serves many requests in one process; a
 * Lambda instance serves one at a time, so there this changes nothing), and a turn that waited reads
 * the allocation afresh. When another process moved it meanwhile, the steps are built again on the
 * allocation the refusal returned and committed again at once. Any other conflict goes to the caller.
 */
export async function transactAt(position: LedgerPosition, build: (position: LedgerPosition) => TxStep[]): Promise<void> {
  const lane = `${position.fundId}#${position.countyCode}`;
  const before = lanes.get(lane);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const turn = (before ?? Promise.resolve()).then(() => mine);
  lanes.set(lane, turn);
  try {
    let current = position;
    if (before) {
      await before;
      current = (await readPosition(position.fundId, position.countyCode)) ?? position;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await transact(build(current));
        return;
      } catch (error) {
        if (!(error instanceof PositionMoved) || attempt >= POSITION_ATTEMPTS) throw error;
        current = error.position;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  } finally {
    done();
    if (lanes.get(lane) === turn) lanes.delete(lane);
  }
}

/**
 * A money move (reserve, release, settle) on a read allocation. `reserve` answers
 * `insufficient_allocation` when `available` cannot cover it; a release or payment without the
 * reservation behind it is a broken invariant and stops the transaction.
 */
export function ledgerMoveSteps(position: LedgerPosition, move: Move, amount: number, ref: LedgerRef, actor: string, now: Date): TxStep[] {
  if (move === 'reserve' && position.available < amount) {
    throw new DomainError('insufficient_allocation', `The county allocation has ${position.available} fen available; ${amount} needed`);
  }
  try {
    return ledgerChangeSteps({ position, kind: MOVE_KIND[move], amount, ref, actor, now }).steps;
  } catch (error) {
    // The allocation was read after a concurrent move of the same money (two settlements racing):
    // read everything again; the entity's own condition then gives the definite answer.
    if (error instanceof LedgerViolation) throw new TransactionConflict();
    throw error;
  }
}

function toEntry(item: Record<string, unknown>): LedgerEntry {
  return {
    entryId: item.entryId as string,
    at: item.at as string,
    countyCode: item.countyCode as string,
    kind: item.kind as LedgerKind,
    amount: item.amount as number,
    ref: (item.ref as LedgerRef | undefined) ?? {},
    actor: item.actor as string,
    balance: item.balance as LedgerLine,
  };
}

/** A page of a fund's ledger, oldest first, optionally for one county and a time range [from, to). */
export async function listLedger(
  fundId: string,
  filter: { countyCode?: string; from?: string; to?: string; limit: number; cursor?: string },
): Promise<Page<LedgerEntry>> {
  const values: Record<string, unknown> = { ':pk': ledgerPartition(fundId) };
  let keyCondition = 'pk = :pk';
  // Sort keys start with the entry's ISO time: a time range is a key range.
  if (filter.from && filter.to) {
    keyCondition += ' AND sk BETWEEN :from AND :to';
    Object.assign(values, { ':from': isoOf(filter.from), ':to': isoOf(filter.to) });
  } else if (filter.from) {
    keyCondition += ' AND sk >= :from';
    values[':from'] = isoOf(filter.from);
  } else if (filter.to) {
    keyCondition += ' AND sk < :to';
    values[':to'] = isoOf(filter.to);
  }
  if (filter.countyCode) values[':county'] = filter.countyCode;
  const page = await queryPage({
    keyCondition,
    values,
    ...(filter.countyCode ? { filter: 'countyCode = :county' } : {}),
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `ledger|${fundId}|${filter.countyCode ?? ''}|${filter.from ?? ''}|${filter.to ?? ''}`,
  });
  // `BETWEEN :from AND :to` ends before `to`: every key at `to` is `<to>#…`, which sorts after `<to>`.
  return { items: page.items.map(toEntry), nextCursor: page.nextCursor };
}

const isoOf = (time: string) => new Date(time).toISOString();
