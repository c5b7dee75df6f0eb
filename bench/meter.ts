/**
 * Counts what the handlers cost without touching them: a middleware on the shared SDK clients
 * (shared/data/platform/clients.ts) asks DynamoDB for ReturnConsumedCapacity TOTAL and adds up what it reports,
 * counts SQS requests, and a wrapper around every handler the local runtime loads counts Lambda
 * invocations and their billed duration. Each SDK call is labelled with the invocation it ran in, so
 * the profile says which operation spent what.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DeleteItemCommand, TransactWriteItemsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaHandler } from '#local/invoke';
import { defaultHandlers, type RuntimeHandlers } from '#local/runtime';
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
}

export interface MeterTotals {
  writeUnits: number;
  readUnits: number;
  /** Requests our code sent to SQS (producers, re-queues). */
  sqsSent: number;
  /** Requests the SQS event source mapping makes for the messages it hands over (receive + delete). */
  sqsPolled: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  httpApiRequests: number;
  /** `<invocation label> <SDK command>` → calls and units. */
  byOperation: Record<string, OperationTally>;
}

const empty = (): MeterTotals => ({
  writeUnits: 0,
  readUnits: 0,
  sqsSent: 0,
  sqsPolled: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  httpApiRequests: 0,
  byOperation: {},
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

export class Meter {
  private totals = empty();
  private enabled = false;
  private capacity = true;
  /** Whether the store reports transactional writes already doubled (measured by calibrate()). */
  private storeDoubles = true;
  private inFlight = 0;
  private readonly label = new AsyncLocalStorage<string>();

  /** Starts counting from zero; `capacity: false` counts calls only, without asking DynamoDB for capacity. */
  start(options: { capacity?: boolean } = {}): void {
    this.totals = empty();
    this.enabled = true;
    this.capacity = options.capacity ?? true;
  }

  stop(): MeterTotals {
    this.enabled = false;
    return this.snapshot();
  }

  snapshot(): MeterTotals {
    return structuredClone(this.totals);
  }

  /** Invocations running right now (the capacity run waits for zero before it reads the totals). */
  get running(): number {
    return this.inFlight;
  }

  private tally(command: string, writeUnits: number, readUnits: number, indexWriteUnits = 0): void {
    const key = `${this.label.getStore() ?? 'outside an invocation'} ${command.replace(/Command$/, '')}`;
    const entry = (this.totals.byOperation[key] ??= { calls: 0, writeUnits: 0, readUnits: 0, indexWriteUnits: 0 });
    entry.calls += 1;
    entry.writeUnits += writeUnits;
    entry.readUnits += readUnits;
    entry.indexWriteUnits += indexWriteUnits;
    this.totals.writeUnits += writeUnits;
    this.totals.readUnits += readUnits;
  }

  /** Adds the counting middleware to the handlers' DynamoDB client (the document client shares its stack). */
  instrumentDynamo(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        if (!this.enabled) return next(args);
        const input = args.input as Record<string, unknown>;
        // INDEXES: TOTAL plus the split between table and indexes, which transactions bill differently.
        if (this.capacity && CAPACITY_COMMANDS.has(command)) input.ReturnConsumedCapacity ??= 'INDEXES';
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        const reported = unitsOf(output.ConsumedCapacity);
        if (command === 'TransactWriteItemsCommand') {
          const kinds = ((input.TransactItems as Record<string, unknown>[] | undefined) ?? []).map(
            (item) => Object.keys(item)[0] as TransactItemKind,
          );
          const { writeUnits, readUnits, indexWriteUnits } = transactionCapacity(
            { tableUnits: reported.total - reported.indexUnits, indexUnits: reported.indexUnits },
            kinds,
            this.storeDoubles,
          );
          this.tally(command, writeUnits, readUnits, indexWriteUnits);
        } else if (WRITE_COMMANDS.has(command)) {
          this.tally(command, reported.total, 0, reported.indexUnits);
        } else {
          this.tally(command, 0, reported.total);
        }
        return result;
      },
      // After lib-dynamodb's marshalling (also `initialize`, high priority): the input is the wire input.
      { step: 'initialize', priority: 'low', name: 'benchCapacityMeter' },
    );
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
          this.tally(context.commandName ?? 'unknown', 0, 0);
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
      this.inFlight++;
      try {
        return await this.label.run(labelOf(event), () => handler(event, context));
      } finally {
        this.inFlight--;
        if (counted && this.enabled) {
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
