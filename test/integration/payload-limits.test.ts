/**
 * Request size limits as AWS applies them, through the local runtime's API Gateway stand-in: HTTP API
 * takes at most 10 MB, and a synchronous Lambda invocation at most 6 MB (6,291,456 bytes) of payload,
 * which is the whole payload-v2 event with the body escaped inside it. Past either, API Gateway answers
 * itself (never problem+json) and the function never runs; so the batch route's own limit is set low
 * enough that any JSON body under it reaches our function, which answers 413 problem+json above it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { LAMBDA_MAX_REQUEST_PAYLOAD_BYTES, routes } from '#shared/routes';
import { recordingHttpHandlers, startTestRuntime, type ApiResponse, type TestRuntime } from '#test/support/runtime';

const COUNTY = '500241';
const admin = { roles: 'fund-admin', sub: 'admin-1' };
const requester = { roles: 'requester', sub: 'maker-1' };
const batchRoute = routes.find((r) => r.operationId === 'createBatch')!;

let rt: TestRuntime;
const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

beforeAll(async () => {
  // The real handlers, with every event they receive recorded (and so its size).
  rt = await startTestRuntime({ pollers: false, handlers: recordingHttpHandlers(events) });
});
afterAll(() => rt?.stop());

/** What API Gateway itself answers to a request it will not pass on: 413, its own JSON message. */
function expectApiGatewayTooLarge(res: ApiResponse) {
  expect(res.status).toBe(413);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.body).toEqual({ message: 'Request Entity Too Large' });
}

/**
 * A JSON document of exactly `bytes` bytes that escapes as badly as JSON can inside the event: a string
 * of escaped quotes, every character of which (`\` and `"`) takes two in the event's `body` string.
 */
function worstEscapingJson(bytes: number): string {
  const pairs = Math.floor((bytes - 4) / 2);
  const text = `["${'\\"'.repeat(pairs)}"${'\n'.repeat(bytes - 4 - 2 * pairs)}]`;
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

describe('what API Gateway and Lambda refuse before our function runs', () => {
  it('a body whose v2 event is over the 6 MB invocation payload: API Gateway answers 413 itself, the function never runs', async () => {
    events.length = 0;
    const res = await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: JSON.stringify({ name: 'x'.repeat(6_300_000) }) });
    expectApiGatewayTooLarge(res);
    expect(events).toHaveLength(0);
  });

  it('a body under 6 MB whose escaping takes the event over it: the same', async () => {
    events.length = 0;
    const res = await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: worstEscapingJson(3_200_000) });
    expectApiGatewayTooLarge(res);
    expect(events).toHaveLength(0);
  });
});

describe('the batch route answers every size itself', () => {
  it('a JSON body of exactly its limit, escaping as badly as JSON can, reaches our function (400 problem+json, not API Gateway)', async () => {
    events.length = 0;
    const res = await rt.api('POST', '/v1/disbursement-batches', {
      ...requester,
      idempotencyKey: randomUUID(),
      body: worstEscapingJson(batchRoute.maxBodyBytes),
    });
    expect(events).toHaveLength(1);
    expect(Buffer.byteLength(JSON.stringify(events[0]))).toBeLessThanOrEqual(LAMBDA_MAX_REQUEST_PAYLOAD_BYTES);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
  });

  it('one byte more: our own 413 payload_too_large as problem+json', async () => {
    events.length = 0;
    const res = await rt.api('POST', '/v1/disbursement-batches', {
      ...requester,
      idempotencyKey: randomUUID(),
      body: worstEscapingJson(batchRoute.maxBodyBytes + 1),
    });
    expect(events).toHaveLength(1);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect([res.status, res.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('a realistic 5,000-row batch (Chinese names, banks and memos, pretty-printed) is created', async () => {
    expect((await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: '石柱', province: '重庆' } })).status).toBe(201);
    const fund = await rt.api('POST', '/v1/funds', {
      ...admin,
      idempotencyKey: randomUUID(),
      body: {
        name: '2026年乡村振兴',
        currency: 'CNY',
        totalBudget: 10_000_000_000,
        dualApprovalThreshold: 1_000_000_000,
        financeSystem: 'ledger-bot',
      },
    });
    const fundId = fund.body.fundId as string;
    expect((await rt.api('PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 5_000_000_000 } })).status).toBe(
      200,
    );

    const surnames = ['王', '李', '张', '刘', '陈', '欧阳'];
    const given = ['伟', '芳', '秀英', '敏', '静', '强', '磊', '秀兰'];
    const banks = ['中国农业银行', '中国邮政储蓄银行', '重庆农村商业银行股份有限公司'];
    const items = Array.from({ length: 5_000 }, (_, n) => {
      const name = `${surnames[n % surnames.length]}${given[n % given.length]}${n % 3 ? given[(n * 7) % given.length] : ''}`;
      return {
        beneficiary: {
          kind: 'farmer',
          name,
          account: { bankName: banks[n % banks.length], accountName: name, accountNumber: `622848${String(1e12 + n * 7919)}` },
        },
        amount: 50_000 + ((n * 37) % 500_000),
        memo: `2026年春季种苗补贴：茶叶种植户第${(n % 9) + 1}批，村委会核实名单（第${n % 40}组）`,
      };
    });
    const body = JSON.stringify({ fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items }, null, 2);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(batchRoute.maxBodyBytes);
    const created = await rt.api('POST', '/v1/disbursement-batches', { ...requester, idempotencyKey: randomUUID(), body });
    expect([created.status, created.body.itemCount]).toEqual([201, 5_000]);
  });
});
