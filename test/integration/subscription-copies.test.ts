/**
 * Issue 21, "no hot partition": which endpoint subscribes to what is read from SUBSCRIPTION_COPIES copies
 * (shared/data/webhook-endpoints/copies.ts), not from the endpoint listing's one index partition. Every endpoint
 * write keeps every copy equal to the endpoint items; the readers answer from a copy once it is complete, and from the
 * listing before; the backfill fills the copies of a table written before them without a ghost entry.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType } from '#shared/domain/events';
import { keys, SUBSCRIPTION_COPIES } from '#shared/data/platform/keys';
import { useLocalServices, type LocalServices } from '#test/support/local-services';

let services: LocalServices;
let documents: typeof import('#shared/data/platform/clients').documents;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');
let subscriptions: typeof import('#shared/data/webhook-endpoints/subscriptions');
let backfill: typeof import('#shared/data/webhook-endpoints/backfill');
/** The endpoint ids BatchGetItem was asked for since the last reset (every batched read of the handlers' client). */
const batchRead: string[] = [];

const admin = { sub: 'admin-1' };
const TYPES: EventType[] = ['payout.requested', 'payout.settled', 'disbursement.approved', 'account.verification_requested'];
const copyKeys = Array.from({ length: SUBSCRIPTION_COPIES }, (_, copy) => keys.webhookSubscriptions(copy));

beforeAll(async () => {
  services = await useLocalServices();
  ({ documents } = await import('#shared/data/platform/clients'));
  endpoints = await import('#shared/data/webhook-endpoints/items');
  subscriptions = await import('#shared/data/webhook-endpoints/subscriptions');
  backfill = await import('#shared/data/webhook-endpoints/backfill');
  const { dynamo } = await import('#shared/data/platform/clients');
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') {
        const input = args.input as { RequestItems: Record<string, { Keys: { pk: unknown }[] }> };
        for (const { Keys } of Object.values(input.RequestItems)) batchRead.push(...Keys.map((k) => String(k.pk).replace(/^WHE#/, '')));
      }
      return next(args);
    },
    { step: 'initialize', priority: 'low', name: 'testCountBatchReads' },
  );
});

async function copies(): Promise<(Record<string, unknown> | undefined)[]> {
  const table = process.env.TABLE_NAME!;
  return Promise.all(
    copyKeys.map(async (Key) => (await documents.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }))).Item),
  );
}

/** The entries every copy should hold: one per endpoint item, as the items say. */
async function expectedEntries(): Promise<Record<string, unknown>> {
  const items = (await services.scanTable()).filter((i) => i.type === 'webhook-endpoint');
  return Object.fromEntries(
    items.map((i) => [`e_${i.endpointId as string}`, { events: i.events, status: i.status, financeSystem: i.financeSystem ?? null }]),
  );
}

const entriesOf = (copy: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(copy ?? {}).filter(([name]) => name.startsWith('e_')));

async function expectCopiesEqualEndpoints(): Promise<void> {
  const expected = await expectedEntries();
  for (const copy of await copies()) {
    expect(copy?.complete).toBe(true);
    expect(entriesOf(copy)).toEqual(expected);
  }
}

/** Writes every copy directly (what a test needs to tell a copy's answer from the listing's). */
async function onEveryCopy(update: string, names: Record<string, string>, values?: Record<string, unknown>): Promise<void> {
  for (const Key of copyKeys) {
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME!,
        Key,
        UpdateExpression: update,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }
}

async function deleteEveryEndpoint(): Promise<void> {
  for (const item of (await services.scanTable()).filter((i) => i.type === 'webhook-endpoint')) {
    await endpoints.deleteEndpoint(item.endpointId as string, admin, new Date());
  }
}

type Change =
  | { kind: 'create'; events: EventType[]; financeSystem: string | null }
  | { kind: 'events'; pick: number; events: EventType[] }
  | { kind: 'gone' | 'enable' | 'delete' | 'url'; pick: number };

const events = fc.subarray(TYPES, { minLength: 1 });
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), events, financeSystem: fc.constantFrom(null, 'finance-a', 'finance-b') }),
  fc.record({ kind: fc.constant('events' as const), pick: fc.nat(), events }),
  fc.record({ kind: fc.constantFrom('gone' as const, 'enable' as const, 'delete' as const, 'url' as const), pick: fc.nat() }),
);

async function apply(c: Change, ids: string[]): Promise<void> {
  const now = new Date();
  if (c.kind === 'create') {
    const created = await endpoints.createEndpoint(
      { url: 'https://receiver.example/hook', events: c.events, ...(c.financeSystem ? { financeSystem: c.financeSystem } : {}) },
      admin,
      now,
    );
    ids.push(created.endpointId);
    return;
  }
  if (ids.length === 0) return;
  const id = ids[c.pick % ids.length]!;
  if (c.kind === 'events') await endpoints.updateEndpoint(id, { events: c.events }, admin, now);
  if (c.kind === 'gone') await endpoints.disableEndpoint(id, 'the receiver answered 410 Gone', now);
  if (c.kind === 'enable') await endpoints.updateEndpoint(id, { status: 'enabled' }, admin, now);
  if (c.kind === 'url') await endpoints.updateEndpoint(id, { url: 'https://receiver.example/moved', description: 'moved' }, admin, now);
  if (c.kind === 'delete') {
    await endpoints.deleteEndpoint(id, admin, now);
    ids.splice(ids.indexOf(id), 1);
  }
}

describe('the copies of the subscriptions', () => {
  it('are complete and empty on a fresh table', async () => {
    (await copies()).forEach((copy, k) =>
      expect(copy).toEqual({ ...keys.webhookSubscriptions(k), type: 'webhook-subscriptions', complete: true }),
    );
    expect((await subscriptions.subscribedEventTypes())('payout.requested')).toBe(false);
  });

  it('equal the endpoint items after every create, change of events, 410, re-enable, URL change and delete, and the readers answer as they say', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 6 }), async (changes) => {
        await deleteEveryEndpoint();
        const ids: string[] = [];
        for (const c of changes) {
          await apply(c, ids);
          await expectCopiesEqualEndpoints();
        }
        const items = (await services.scanTable()).filter((i) => i.type === 'webhook-endpoint' && i.status === 'enabled');
        const subscribed = await subscriptions.subscribedEventTypes();
        const targets = await subscriptions.deliveryTargets('payout.settled', new Date());
        for (const type of TYPES) expect(subscribed(type)).toBe(items.some((i) => (i.events as string[]).includes(type)));
        expect(targets.map((t) => t.endpointId).sort()).toEqual(
          items
            .filter((i) => (i.events as string[]).includes('payout.settled'))
            .map((i) => i.endpointId as string)
            .sort(),
        );
        expect(await subscriptions.financeSystemSubscribes('finance-a', 'account.verification_requested', new Date())).toBe(
          items.some((i) => i.financeSystem === 'finance-a' && (i.events as string[]).includes('account.verification_requested')),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('equal the endpoint item when changes of one endpoint and of others meet', async () => {
    await deleteEveryEndpoint();
    const now = new Date();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) => endpoints.createEndpoint({ url: `https://receiver.example/${n}`, events: ['payout.settled'] }, admin, now)),
    );
    for (let round = 0; round < 4; round++) {
      await Promise.all([
        endpoints.updateEndpoint(a!.endpointId, { events: [TYPES[round % TYPES.length]!] }, admin, now),
        endpoints.disableEndpoint(a!.endpointId, 'the receiver answered 410 Gone', now),
        endpoints.updateEndpoint(b!.endpointId, { events: [TYPES[(round + 1) % TYPES.length]!] }, admin, now),
        endpoints.disableEndpoint(b!.endpointId, 'the receiver answered 410 Gone', now),
      ]);
      await expectCopiesEqualEndpoints();
      await Promise.all([a!, b!].map((e) => endpoints.updateEndpoint(e.endpointId, { status: 'enabled' }, admin, now)));
      await expectCopiesEqualEndpoints();
    }
  });

  it('are what the readers read once complete, and the listing is read before', async () => {
    await deleteEveryEndpoint();
    const endpoint = await endpoints.createEndpoint(
      { url: 'https://receiver.example/hook', events: ['payout.settled'], financeSystem: 'finance-a' },
      admin,
      new Date(),
    );
    // Every copy says otherwise than the endpoint item: disabled, and a subscriber of a type nobody listens to.
    const names = { '#e': `e_${endpoint.endpointId}`, '#ghost': 'e_whe_ghost' };
    await onEveryCopy(
      'SET #e.#status = :disabled, #ghost = :ghost',
      { ...names, '#status': 'status' },
      {
        ':disabled': 'disabled',
        ':ghost': { events: ['payout.requested'], status: 'enabled', financeSystem: 'finance-a' },
      },
    );
    const now = new Date();
    expect((await subscriptions.subscribedEventTypes())('payout.requested')).toBe(true);
    expect((await subscriptions.subscribedEventTypes())('payout.settled')).toBe(false);
    expect(await subscriptions.deliveryTargets('payout.settled', now)).toEqual([]);
    expect(await subscriptions.financeSystemSubscribes('finance-a', 'payout.requested', now)).toBe(true);

    // Not complete (a table written before the copies): the listing, as before.
    await onEveryCopy('REMOVE complete', {});
    expect((await subscriptions.subscribedEventTypes())('payout.requested')).toBe(false);
    expect((await subscriptions.subscribedEventTypes())('payout.settled')).toBe(true);
    expect((await subscriptions.deliveryTargets('payout.settled', now)).map((t) => t.endpointId)).toEqual([endpoint.endpointId]);
    expect(await subscriptions.financeSystemSubscribes('finance-a', 'payout.requested', now)).toBe(false);
    expect(await subscriptions.financeSystemSubscribes('finance-a', 'payout.settled', now)).toBe(true);
  });
});

describe('the backfill of the copies', () => {
  it('fills them from the endpoints of a table written before them, the same when run twice, with no entry for one deleted meanwhile', async () => {
    await deleteEveryEndpoint();
    const now = new Date();
    const kept = await endpoints.createEndpoint(
      { url: 'https://receiver.example/a', events: ['payout.settled'], financeSystem: 'finance-a' },
      admin,
      now,
    );
    const disabled = await endpoints.createEndpoint({ url: 'https://receiver.example/b', events: ['*'] }, admin, now);
    await endpoints.disableEndpoint(disabled.endpointId, 'the receiver answered 410 Gone', now);
    const changed = await endpoints.createEndpoint({ url: 'https://receiver.example/c', events: ['payout.requested'] }, admin, now);
    const deleted = await endpoints.createEndpoint({ url: 'https://receiver.example/d', events: ['payout.failed'] }, admin, now);
    // The table as an older version left it: no copies.
    for (const Key of copyKeys) await documents.send(new DeleteCommand({ TableName: process.env.TABLE_NAME!, Key }));
    expect((await copies()).every((copy) => copy === undefined)).toBe(true);

    // Read by the backfill's scan, then changed or deleted before its write.
    const item = async (id: string) =>
      (await documents.send(new GetCommand({ TableName: process.env.TABLE_NAME!, Key: keys.webhookEndpoint(id) }))).Item!;
    const readChanged = await item(changed.endpointId);
    const readDeleted = await item(deleted.endpointId);
    await endpoints.updateEndpoint(changed.endpointId, { events: ['payout.settled', 'payout.failed'] }, admin, now);
    await endpoints.deleteEndpoint(deleted.endpointId, admin, now);
    expect(await backfill.backfillEntry(readDeleted)).toBe(false);
    expect(await backfill.backfillEntry(readChanged)).toBe(true);
    for (const copy of await copies()) {
      expect(copy?.complete).toBeUndefined();
      expect(copy?.[`e_${deleted.endpointId}`]).toBeUndefined();
      expect(copy?.[`e_${changed.endpointId}`]).toEqual({
        events: ['payout.settled', 'payout.failed'],
        status: 'enabled',
        financeSystem: null,
      });
    }

    expect(await backfill.backfillSubscriptions({ segments: 2 })).toEqual({ scanned: 3, updated: 3 });
    await expectCopiesEqualEndpoints();
    expect(entriesOf((await copies())[0])[`e_${kept.endpointId}`]).toEqual({
      events: ['payout.settled'],
      status: 'enabled',
      financeSystem: 'finance-a',
    });
    const once = await copies();
    await backfill.backfillSubscriptions();
    expect(await copies()).toEqual(once);
  });

  it("a delivery reads only its type's subscribers, each once an invocation", async () => {
    await deleteEveryEndpoint();
    const now = new Date();
    const create = (n: string, type: EventType) =>
      endpoints.createEndpoint({ url: `https://receiver.example/${n}`, events: [type] }, admin, now).then((e) => e.endpointId);
    const a = await create('a', 'payout.requested');
    const b = await create('b', 'payout.settled');
    const c = await create('c', 'payout.settled');
    const lookup = subscriptions.deliveryTargetsOnce();
    const targets = async (type: EventType) => (await lookup(type, now)).map((t) => t.endpointId);

    batchRead.length = 0;
    expect(await targets('payout.requested')).toEqual([a]);
    expect(batchRead).toEqual([a]);
    expect(await targets('payout.settled')).toEqual([b, c].sort());
    expect(await targets('payout.requested')).toEqual([a]);
    expect(batchRead.sort()).toEqual([a, b, c].sort());
    lookup.disabled(b);
    expect(await targets('payout.settled')).toEqual([c]);
    expect(batchRead).toHaveLength(3);
  });
});
