/**
 * Counts what the handlers cost without touching them: a middleware on the shared SDK clients
 * (shared/data/platform/clients.ts) asks DynamoDB for ReturnConsumedCapacity TOTAL and adds up what it reports,
 * counts SQS requests, and a wrapper around every handler the local runtime loads counts Lambda
 * invocations and their billed duration. Each SDK call is labelled with the invocation it ran in, so
 * the profile says which operation spent what.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DeleteItemCommand, GetItemCommand, TransactWriteItemsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaHandler } from '#local/invoke';
import { defaultHandlers, type RuntimeHandlers } from '#local/runtime';
import { projectedAttributes, TABLE } from '#shared/data/platform/table';
import {
  conditionCheckReadUnits,
  failedWriteCharge,
  writeCharge,
  type Item,
  type TableShape,
  type UnitsByPartition,
  type WriteCharge,
} from './aws-capacity.ts';
import { billedGbSeconds, transactionCapacity, type TransactItemKind } from './pricing.ts';

/** Lambda memory of every deployed function (infra/constructs/function.ts MEMORY_MB). */
const MEMORY_MB = 1024;
const SQS_MAX_BATCH = 10;

export interface OperationTally {
  calls: number;
  writeUnits: number;
  readUnits: number;
  /** The part of writeUnits spent on index writes. */
  indexWriteUnits: number;
  /** What DynamoDB Local reported (writeUnits/readUnits are by AWS's rule when the meter applies it). */
  localWriteUnits: number;
  localReadUnits: number;
  /** Writes and transactions that failed (a condition, a cancellation) and were charged all the same. */
  failedAttempts: number;
  /** AWS-rule write units by partition key value (`gsiN:<value>` for an index partition). */
  byPartition: UnitsByPartition;
}

/** The single table as the AWS rule needs it: keys, and what each index copies. */
export const TABLE_SHAPE: TableShape = {
  partitionKey: TABLE.partitionKey,
  sortKey: TABLE.sortKey,
  indexes: TABLE.indexes.map((index) => ({
    name: index.name,
    partitionKey: index.partitionKey,
    sortKey: index.sortKey,
    projects: index.projection === 'KEYS_ONLY' ? 'KEYS_ONLY' : projectedAttributes(index),
  })),
};

/** One item a write request names: what it does, the key it addresses, and the new item a Put brings. */
interface Target {
  kind: TransactItemKind;
  table: string;
  key: Item;
  put?: Item;
  before?: Item;
}

/** The items a write command names (wire format: after the document client marshalled them). */
function targetsOf(command: string, input: Record<string, unknown>): Target[] {
  const keyOf = (item: Item): Item => ({ [TABLE.partitionKey]: item[TABLE.partitionKey]!, [TABLE.sortKey]: item[TABLE.sortKey]! });
  type Op = { TableName: string; Item?: Item; Key?: Item };
  const target = (kind: TransactItemKind, op: Op): Target =>
    kind === 'Put' ? { kind, table: op.TableName, key: keyOf(op.Item!), put: op.Item } : { kind, table: op.TableName, key: op.Key! };
  if (command === 'PutItemCommand') return [target('Put', input as unknown as Op)];
  if (command === 'UpdateItemCommand') return [target('Update', input as unknown as Op)];
  if (command === 'DeleteItemCommand') return [target('Delete', input as unknown as Op)];
  if (command === 'TransactWriteItemsCommand')
    return ((input.TransactItems as Record<TransactItemKind, Op>[] | undefined) ?? []).map((item) => {
      const kind = Object.keys(item)[0] as TransactItemKind;
      return target(kind, item[kind]);
    });
  if (command === 'BatchWriteItemCommand')
    return Object.entries(
      (input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>) ?? {},
    ).flatMap(([TableName, requests]) =>
      requests.map((r) =>
        r.PutRequest ? target('Put', { TableName, Item: r.PutRequest.Item }) : target('Delete', { TableName, Key: r.DeleteRequest!.Key }),
      ),
    );
  return [];
}

/** A request that failed in a way AWS still bills: a condition that did not hold, a cancelled transaction. */
const chargedFailure = (error: unknown) =>
  ['ConditionalCheckFailedException', 'TransactionCanceledException', 'TransactionConflictException'].includes((error as Error)?.name);

export interface MeterTotals {
  writeUnits: number;
  readUnits: number;
  /** What DynamoDB Local reported, beside the AWS-rule figures above (equal when the rule is not applied). */
  localWriteUnits: number;
  localReadUnits: number;
  /** Charged failed attempts (conditions that failed, cancelled transactions). */
  failedAttempts: number;
  /** Requests our code sent to SQS (producers, re-queues). */
  sqsSent: number;
  /** Requests the SQS event source mapping makes for the messages it hands over (receive + delete). */
  sqsPolled: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  httpApiRequests: number;
  /** `<invocation label> <SDK command>` → calls and units. */
  byOperation: Record<string, OperationTally>;
  /** `<invocation label>` → invocations and the sum of their durations (ms; concurrent ones overlap). */
  byInvocation: Record<string, { calls: number; ms: number }>;
  /** Per partition key (as in byPartition), how many rounds (see Meter.nextRound) wrote it. */
  roundsByPartition: Record<string, number>;
}

const empty = (): MeterTotals => ({
  writeUnits: 0,
  readUnits: 0,
  localWriteUnits: 0,
  localReadUnits: 0,
  failedAttempts: 0,
  sqsSent: 0,
  sqsPolled: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  httpApiRequests: 0,
  byOperation: {},
  byInvocation: {},
  roundsByPartition: {},
});

interface Units {
  CapacityUnits?: number;
}

interface ConsumedCapacity extends Units {
  Table?: Units;
  GlobalSecondaryIndexes?: Record<string, Units>;
}

const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);
const CAPACITY_COMMANDS = new Set([
  ...WRITE_COMMANDS,
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/** Total units, and how many of them were index writes/reads (asked for with ReturnConsumedCapacity INDEXES). */
function unitsOf(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): { total: number; indexUnits: number } {
  let total = 0;
  let indexUnits = 0;
  for (const c of consumed ? (Array.isArray(consumed) ? consumed : [consumed]) : []) {
    total += c.CapacityUnits ?? 0;
    for (const index of Object.values(c.GlobalSecondaryIndexes ?? {})) indexUnits += index.CapacityUnits ?? 0;
  }
  return { total, indexUnits };
}

function addUnits(into: UnitsByPartition, charge: WriteCharge): void {
  for (const [partition, units] of Object.entries(charge.byPartition)) into[partition] = (into[partition] ?? 0) + units;
}

export class Meter {
  private totals = empty();
  private enabled = false;
  private capacity = true;
  private awsRule = false;
  /** An unmetered client on the same store: reads the items a write touches, before and after it. */
  private inspector: DynamoDBClient | undefined;
  /** Whether the store reports transactional writes already doubled (measured by calibrate()). */
  private storeDoubles = true;
  private inFlight = 0;
  private round = 0;
  /** The round that last wrote each partition key. */
  private lastRound = new Map<string, number>();
  private readonly label = new AsyncLocalStorage<string>();

  /**
   * Starts counting from zero; `capacity: false` counts calls only, without asking DynamoDB for capacity.
   * `awsRule: true` (needs an inspector, see instrumentDynamo) bills every write by AWS's rule
   * (./aws-capacity.ts) from the items it touched, and keeps DynamoDB Local's figures beside it. It reads
   * each written item before and after, so it is for counting runs, not for timed ones.
   */
  start(options: { capacity?: boolean; awsRule?: boolean } = {}): void {
    this.totals = empty();
    this.lastRound.clear();
    this.enabled = true;
    this.capacity = options.capacity ?? true;
    this.awsRule = (options.awsRule ?? false) && this.inspector !== undefined;
  }

  stop(): MeterTotals {
    this.enabled = false;
    return this.snapshot();
  }

  snapshot(): MeterTotals {
    return structuredClone(this.totals);
  }

  /**
   * Starts the next round of work (the capacity run: one lifecycle), so the totals tell a key every round
   * writes (a fund's ledger) from a key of one round (a disbursement).
   */
  nextRound(): void {
    this.round += 1;
  }

  /** Invocations running right now (the capacity run waits for zero before it reads the totals). */
  get running(): number {
    return this.inFlight;
  }

  private tally(
    command: string,
    units: { write: number; read: number; indexWrite?: number; localWrite?: number; localRead?: number; failed?: boolean },
    byPartition: UnitsByPartition = {},
  ): void {
    const key = `${this.label.getStore() ?? 'outside an invocation'} ${command.replace(/Command$/, '')}`;
    const entry = (this.totals.byOperation[key] ??= {
      calls: 0,
      writeUnits: 0,
      readUnits: 0,
      indexWriteUnits: 0,
      localWriteUnits: 0,
      localReadUnits: 0,
      failedAttempts: 0,
      byPartition: {},
    });
    const localWrite = units.localWrite ?? units.write;
    const localRead = units.localRead ?? units.read;
    entry.calls += 1;
    entry.writeUnits += units.write;
    entry.readUnits += units.read;
    entry.indexWriteUnits += units.indexWrite ?? 0;
    entry.localWriteUnits += localWrite;
    entry.localReadUnits += localRead;
    if (units.failed) {
      entry.failedAttempts += 1;
      this.totals.failedAttempts += 1;
    }
    for (const [partition, u] of Object.entries(byPartition)) {
      entry.byPartition[partition] = (entry.byPartition[partition] ?? 0) + u;
      if (this.lastRound.get(partition) !== this.round) {
        this.lastRound.set(partition, this.round);
        this.totals.roundsByPartition[partition] = (this.totals.roundsByPartition[partition] ?? 0) + 1;
      }
    }
    this.totals.writeUnits += units.write;
    this.totals.readUnits += units.read;
    this.totals.localWriteUnits += localWrite;
    this.totals.localReadUnits += localRead;
  }

  /**
   * Adds the counting middleware to the handlers' DynamoDB client (the document client shares its stack).
   * `inspector`, an unmetered client on the same store, lets `start({ awsRule: true })` read written items.
   */
  instrumentDynamo(client: DynamoDBClient, inspector?: DynamoDBClient): void {
    this.inspector = inspector;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        // INDEXES: TOTAL plus the split between table and indexes, which transactions bill differently.
        if (this.enabled && this.capacity && CAPACITY_COMMANDS.has(command))
          (args.input as Record<string, unknown>).ReturnConsumedCapacity ??= 'INDEXES';
        return next(args);
      },
      { step: 'initialize', name: 'benchCapacityRequest' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        if (!this.enabled) return next(args);
        const input = args.input as Record<string, unknown>;
        const targets = this.awsRule && WRITE_COMMANDS.has(command) ? targetsOf(command, input) : undefined;
        if (targets) await Promise.all(targets.map(async (t) => (t.before = await this.read(t))));
        let result: Awaited<ReturnType<typeof next>>;
        try {
          result = await next(args);
        } catch (error) {
          if (targets && chargedFailure(error)) this.chargeFailure(command, targets);
          throw error;
        }
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        const reported = unitsOf(output.ConsumedCapacity);
        let local: { write: number; read: number; indexWrite: number };
        if (command === 'TransactWriteItemsCommand') {
          const kinds = ((input.TransactItems as Record<string, unknown>[] | undefined) ?? []).map(
            (item) => Object.keys(item)[0] as TransactItemKind,
          );
          const c = transactionCapacity(
            { tableUnits: reported.total - reported.indexUnits, indexUnits: reported.indexUnits },
            kinds,
            this.storeDoubles,
          );
          local = { write: c.writeUnits, read: c.readUnits, indexWrite: c.indexWriteUnits };
        } else if (WRITE_COMMANDS.has(command)) local = { write: reported.total, read: 0, indexWrite: reported.indexUnits };
        else local = { write: 0, read: reported.total, indexWrite: 0 };
        if (!targets) {
          this.tally(command, local);
          return result;
        }
        const transactional = command === 'TransactWriteItemsCommand';
        let write = 0;
        let indexWrite = 0;
        let read = 0;
        const byPartition: UnitsByPartition = {};
        for (const t of targets) {
          if (t.kind === 'ConditionCheck') {
            read += conditionCheckReadUnits(t.before);
            continue;
          }
          const after = t.kind === 'Put' ? t.put : t.kind === 'Delete' ? undefined : await this.read(t);
          const charge = writeCharge(t.before, after, TABLE_SHAPE, transactional);
          write += charge.tableUnits + charge.indexUnits;
          indexWrite += charge.indexUnits;
          addUnits(byPartition, charge);
        }
        this.tally(command, { write, read, indexWrite, localWrite: local.write, localRead: local.read }, byPartition);
        return result;
      },
      // After the serializer, so after lib-dynamodb's marshalling (which runs just before it): the input is the
      // wire input. Outside the retry loop (`finalizeRequest`): one call, one tally.
      { step: 'build', priority: 'high', name: 'benchCapacityMeter' },
    );
  }

  /** The item a target addresses as it is now (a strongly consistent read, not metered). */
  private async read(target: Target): Promise<Item | undefined> {
    const { Item } = await this.inspector!.send(new GetItemCommand({ TableName: target.table, Key: target.key, ConsistentRead: true }));
    return Item;
  }

  /** A failed write or cancelled transaction: AWS bills it (./aws-capacity.ts failedWriteCharge); Local reports nothing. */
  private chargeFailure(command: string, targets: Target[]): void {
    let write = 0;
    const byPartition: UnitsByPartition = {};
    for (const t of targets) {
      if (t.kind === 'ConditionCheck') continue;
      const charge = failedWriteCharge(t.before ?? t.put ?? t.key, TABLE_SHAPE);
      write += charge.tableUnits;
      addUnits(byPartition, charge);
    }
    this.tally(command, { write, read: 0, localWrite: 0, localRead: 0, failed: true }, byPartition);
  }

  /**
   * Asks the store how it reports a one-item transaction of a tiny item on `tableName`: 2 units means
   * it already applies the transactional doubling, 1 that the meter must.
   */
  async calibrate(client: DynamoDBClient, tableName: string): Promise<boolean> {
    const key = { pk: { S: `BENCH#calibration#${Date.now()}` }, sk: { S: 'BENCH' } };
    const { ConsumedCapacity } = await client.send(
      new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: tableName, Item: key } }], ReturnConsumedCapacity: 'INDEXES' }),
    );
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
    const units = ConsumedCapacity?.[0]?.Table?.CapacityUnits ?? ConsumedCapacity?.[0]?.CapacityUnits ?? 0;
    this.storeDoubles = units >= 2;
    return this.storeDoubles;
  }

  /** Counts requests our code sends to SQS. */
  instrumentSqs(client: SQSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (this.enabled) {
          this.totals.sqsSent += 1;
          this.tally(context.commandName ?? 'unknown', { write: 0, read: 0 });
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchSqsMeter' },
    );
  }

  /** The local runtime's handler loaders, each handler wrapped to be counted. */
  handlers(): Required<RuntimeHandlers> {
    return {
      http: async (fn) => this.wrap(await defaultHandlers.http(fn), 'http', (event) => (event as { routeKey?: string }).routeKey ?? fn),
      queue: async (name) => this.wrap(await defaultHandlers.queue(name), 'queue', () => name),
      schedule: async (name) => this.wrap(await defaultHandlers.schedule(name), 'schedule', () => name),
    };
  }

  private wrap(handler: LambdaHandler, kind: 'http' | 'queue' | 'schedule', labelOf: (event: unknown) => string): LambdaHandler {
    return async (event, context) => {
      const counted = this.enabled;
      const started = performance.now();
      const label = labelOf(event);
      this.inFlight++;
      try {
        return await this.label.run(label, () => handler(event, context));
      } finally {
        this.inFlight--;
        if (counted && this.enabled) {
          const spent = (this.totals.byInvocation[label] ??= { calls: 0, ms: 0 });
          spent.calls += 1;
          spent.ms += performance.now() - started;
          this.totals.lambdaInvocations += 1;
          this.totals.lambdaGbSeconds += billedGbSeconds(performance.now() - started, MEMORY_MB);
          if (kind === 'http') this.totals.httpApiRequests += 1;
          if (kind === 'queue') {
            // The event source mapping's ReceiveMessage for this batch and its DeleteMessageBatch calls.
            const records = (event as { Records?: unknown[] }).Records?.length ?? 0;
            this.totals.sqsPolled += 1 + Math.ceil(records / SQS_MAX_BATCH);
          }
        }
      }
    };
  }
}
