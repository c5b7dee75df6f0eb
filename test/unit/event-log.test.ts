/**
 * The event log's keys and lifetime rules on the outbox items: listing keys per event, the `after`
 * bound on message ids, and which finished events expire (never a pending one, never a failed payment
 * instruction, whose payout may still be redelivered).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { monotonicFactory } from 'ulid';

let events: typeof import('#shared/data/platform/events');
let outbox: typeof import('#shared/data/platform/outbox');
let log: typeof import('#shared/data/event-log/items');

beforeAll(async () => {
  process.env.TABLE_NAME ??= 'unit-table';
  process.env.DELIVERY_QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/delivery';
  process.env.EXPANSION_QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/expansion';
  process.env.APP_SECRETS_FILE ??= '/nonexistent/secrets.json';
  events = await import('#shared/data/platform/events');
  outbox = await import('#shared/data/platform/outbox');
  log = await import('#shared/data/event-log/items');
});

const now = new Date('2026-12-02T10:00:00.000Z');
const event = (eventType: 'payout.requested' | 'campaign.launched') =>
  ({ messageId: 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD', eventType, round: 0, dueAt: now.toISOString() }) as never;

describe('event log keys', () => {
  it('lists every event, by type, and by paying system when it has one, in the shard of its id', () => {
    const item = events.eventStep('payout.requested', 'pay_1', { payoutId: 'pay_1' }, now, { payer: 'finance-1' }).step.item.Put!.Item!;
    const n = String(item.gsi1pk).split('#')[1];
    expect(item).toMatchObject({
      gsi1pk: `EVENTS#${n}`,
      gsi1sk: item.messageId,
      gsi2pk: `EVT#TYPE#payout.requested#${n}`,
      gsi2sk: item.messageId,
      gsi3pk: `EVT#PAYER#finance-1#${n}`,
      gsi3sk: item.messageId,
      payer: 'finance-1',
    });
    expect(item.expiresAt).toBeUndefined();
    const unpaid = events.eventStep('campaign.launched', 'cmp_1', {}, now).step.item.Put!.Item!;
    expect(unpaid.gsi3pk).toBeUndefined();
    expect(unpaid.payer).toBeUndefined();
    expect(events.eventStep('payout.settled', 'pay_1', {}, now, { payer: '' }).step.item.Put!.Item!.gsi3pk).toBeUndefined();
  });

  it('bounds `after` between the ids of its millisecond and of the next one', () => {
    const ulid = monotonicFactory();
    const at = Date.parse('2026-12-02T10:00:00.000Z');
    const bound = log.messageIdBoundAfter(new Date(at).toISOString());
    for (let i = 0; i < 20; i++) expect(`msg_${ulid(at)}` < bound).toBe(true);
    expect(`msg_${ulid(at + 1)}` >= bound).toBe(true);
  });
});

describe('event lifetime', () => {
  const release = (type: 'payout.requested' | 'campaign.launched', status: 'delivered' | 'failed' | 'dropped' | 'pending') =>
    outbox.eventReleaseStep(event(type), 'owner', {}, status === 'pending' ? { status, dueAt: now } : { status }, now).item.Update!;

  it('expires a finished event 30 days after it finished', () => {
    for (const [type, status] of [
      ['payout.requested', 'delivered'],
      ['campaign.launched', 'failed'],
      ['campaign.launched', 'dropped'],
    ] as const) {
      const update = release(type, status);
      expect(update.UpdateExpression, `${type} ${status}`).toContain('expiresAt = :expires');
      expect(update.ExpressionAttributeValues![':expires']).toBe(Math.floor(now.getTime() / 1000) + 30 * 24 * 3600);
    }
    const closed = outbox.eventCloseStep('msg_01M8MB7QKGZ7EXTNFH95G3P5TD', now).item.Update!;
    expect(closed.UpdateExpression).toContain('expiresAt = :expires');
  });

  it('never expires a pending event or a failed payment instruction; a redelivery takes the expiry away', () => {
    expect(release('payout.requested', 'pending').UpdateExpression).not.toContain('expiresAt');
    expect(release('campaign.launched', 'pending').UpdateExpression).not.toContain('expiresAt');
    expect(release('payout.requested', 'failed').UpdateExpression).not.toContain('expiresAt');
    expect(outbox.eventRedeliveryStep('msg_01M8MB7QKGZ7EXTNFH95G3P5TD', now).item.Update!.UpdateExpression).toMatch(/REMOVE .*expiresAt/);
  });
});

describe('index writes of an event', () => {
  /** The attributes an update sets or removes, by name. */
  function touched(update: { UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> }): string[] {
    const names = update.ExpressionAttributeNames ?? {};
    const [, set = '', remove = ''] = /^SET (.*?)(?: REMOVE (.*))?$/.exec(update.UpdateExpression!) ?? [];
    const targets = [...set.split(',').map((a) => a.split('=')[0]!), ...(remove ? remove.split(',') : [])].map((n) => n.trim());
    return targets.map((n) => names[n] ?? n);
  }

  it('changes no attribute the list indexes copy when it is leased back, finished, closed or re-armed (its three listing entries are never rewritten)', async () => {
    const { LIST_INDEX_ATTRIBUTES } = await import('#shared/data/platform/table');
    const copied = new Set<string>(LIST_INDEX_ATTRIBUTES);
    const stored = events.eventStep('payout.requested', 'pay_1', { payoutId: 'pay_1' }, now, { payer: 'finance-1' }).step.item.Put!.Item!;
    const steps = [
      outbox.eventReleaseStep(event('payout.requested'), 'owner', {}, { status: 'delivered' }, now),
      outbox.eventReleaseStep(event('campaign.launched'), 'owner', {}, { status: 'dropped' }, now),
      outbox.eventReleaseStep(event('campaign.launched'), 'owner', {}, { status: 'pending', dueAt: new Date(now.getTime() + 5_000) }, now),
      outbox.eventCloseStep('msg_01M8MB7QKGZ7EXTNFH95G3P5TD', now),
      outbox.eventRedeliveryStep('msg_01M8MB7QKGZ7EXTNFH95G3P5TD', now),
    ];
    for (const step of steps) {
      const names = touched(step.item.Update!);
      expect(names).toContain('state');
      // `status` only ever goes away (an event written before the rename): never set.
      expect(names.filter((n) => copied.has(n) && n !== 'status')).toEqual([]);
      expect(step.item.Update!.UpdateExpression).not.toMatch(/SET[^]*#legacyStatus =/);
    }
    expect(Object.keys(stored).filter((n) => copied.has(n))).toEqual(['type', 'payer']);
  });
});
