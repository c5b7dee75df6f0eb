/**
 * The public notice board reads a bounded amount per request, whoever calls it (no token): the list
 * carries each notice's `itemCount` and no items, and a notice pages its items (`?limit=` 1..500,
 * default 100). Items read are counted from DynamoDB's own ScannedCount (Query) and the items returned
 * by GetItem and BatchGetItem, on every command the handlers send, around 5,000-row notices.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchGetCommand, BatchWriteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '#shared/ids';
import { useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness({}, 180_000);
let documents: typeof import('#shared/data/platform/clients').documents;
const PUBLIC = { sub: '', roles: [] as string[] };
/** A county of its own, so that only this file's notices are on its board. */
const COUNTY = '652901';
const ROWS = 5_000;
const noticeIds: string[] = [];
let read = 0;

async function writeAll(items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    const RequestItems = { [h.services.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    await documents.send(new BatchWriteCommand({ RequestItems }));
  }
}

/** A closed batch notice of 5,000 rows, stored as the approval writes one. */
async function bigNotice(): Promise<string> {
  const noticeId = newId('notice');
  const batchId = newId('batch');
  const at = new Date().toISOString();
  const head = {
    pk: `NOTICE#${noticeId}`,
    sk: 'NOTICE',
    type: 'notice',
    noticeId,
    fundId: newId('fund'),
    payer: 'finance-1',
    fundName: 'Minimum living allowance',
    countyCode: COUNTY,
    countyName: 'Aral',
    purpose: 'other',
    startsAt: at,
    endsAt: at,
    status: 'closed',
    source: { kind: 'batch', id: batchId },
    approvers: ['approver-1'],
    itemCount: ROWS,
    version: 2,
    createdAt: at,
    updatedAt: at,
    gsi1pk: 'NOTICES',
    gsi1sk: noticeId,
    gsi3pk: `NOTICE#COUNTY#${COUNTY}`,
    gsi3sk: noticeId,
  };
  const items = Array.from({ length: ROWS }, (_, row) => ({
    pk: `NOTICE#${noticeId}`,
    sk: `ITEM#${batchId}-${row}`,
    type: 'notice-item',
    noticeId,
    itemRef: `${batchId}-${row}`,
    beneficiaryName: '王**',
    beneficiaryKind: 'farmer',
    amount: 120_000 + row,
    status: 'paid',
    objections: 0,
    openObjections: 0,
    row,
  }));
  await writeAll([head, ...items]);
  return noticeId;
}

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  for (let i = 0; i < 3; i++) noticeIds.push(await bigNotice());
  const send = documents.send.bind(documents) as (command: unknown) => Promise<Record<string, any>>;
  vi.spyOn(documents, 'send').mockImplementation((async (command: unknown) => {
    const output = await send(command);
    if (command instanceof QueryCommand) read += output.ScannedCount ?? 0;
    if (command instanceof GetCommand && output.Item) read += 1;
    if (command instanceof BatchGetCommand) read += Object.values(output.Responses ?? {}).flat().length;
    return output;
  }) as never);
}, 180_000);

afterEach(() => {
  read = 0;
});

describe('GET /public/notices', () => {
  it('lists notices with itemCount and without items: a few reads, a small reply', async () => {
    const reply = await h.call('GET', `/public/notices?countyCode=${COUNTY}`, PUBLIC);
    expect(reply.status).toBe(200);
    expect(reply.body.items.map((n: { noticeId: string }) => n.noticeId).sort()).toEqual([...noticeIds].sort());
    for (const n of reply.body.items) {
      expect(n.itemCount).toBe(ROWS);
      expect(n).not.toHaveProperty('items');
    }
    expect(read).toBeLessThanOrEqual(10);
    expect(reply.text.length).toBeLessThan(4_000);
  });
});

describe('GET /public/notices/{noticeId}', () => {
  it('pages its items: 100 by default, at most 500, each row once over the pages', async () => {
    const first = await h.call('GET', `/public/notices/${noticeIds[0]}`, PUBLIC);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(100);
    expect(first.body.itemCount).toBe(ROWS);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(read).toBeLessThanOrEqual(105);

    const seen = new Set<string>();
    let cursor: string | null = null;
    let requests = 0;
    do {
      read = 0;
      const page = await h.call(
        'GET',
        `/public/notices/${noticeIds[0]}?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        PUBLIC,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(500);
      expect(read).toBeLessThanOrEqual(505);
      for (const item of page.body.items) {
        expect(seen.has(item.itemRef)).toBe(false);
        seen.add(item.itemRef);
      }
      cursor = page.body.nextCursor;
      requests += 1;
    } while (cursor);
    expect(seen.size).toBe(ROWS);
    expect(requests).toBe(ROWS / 500);
  }, 60_000);

  it('refuses a limit over 500, and a cursor of another notice', async () => {
    expect((await h.call('GET', `/public/notices/${noticeIds[0]}?limit=501`, PUBLIC)).status).toBe(400);
    expect((await h.call('GET', `/public/notices/${noticeIds[0]}?limit=0`, PUBLIC)).status).toBe(400);
    const other = await h.call('GET', `/public/notices/${noticeIds[1]}`, PUBLIC);
    const crossed = await h.call('GET', `/public/notices/${noticeIds[0]}?cursor=${encodeURIComponent(other.body.nextCursor)}`, PUBLIC);
    expect(crossed.status).toBe(400);
  });

  it('the phone page reads one page of items too, and links to the next', async () => {
    const page = await h.call('GET', `/notices/${noticeIds[0]}`, PUBLIC);
    expect(page.status).toBe(200);
    expect(read).toBeLessThanOrEqual(105);
    expect(page.text).toContain('5000');
    expect(page.text).toMatch(/href="\/notices\/ntc_[0-9A-Z]+\?cursor=[^"]+"/);
  });
});
