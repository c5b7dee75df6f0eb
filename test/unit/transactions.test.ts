/**
 * Faults injected at the SDK (aws-sdk-client-mock): every cancellation reason DynamoDB can give for a
 * transaction maps to a definite outcome, and the HTTP stack never answers a 500 for them.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { DomainError } from '#shared/domain/errors';
import { useMockedDynamo } from '#test/support/mocked-dynamo';
import { captureLogs, type LogCapture } from '#test/support/log-capture';

const ddb = useMockedDynamo();
let tx: typeof import('#shared/data/platform/transactions');
let funds: typeof import('#functions/http/funds');

beforeAll(async () => {
  tx = await import('#shared/data/platform/transactions');
  funds = await import('#functions/http/funds');
});

const cancelled = (codes: string[], item?: Record<string, unknown>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code, ...(item && Code === 'ConditionalCheckFailed' ? { Item: marshall(item) } : {}) })),
  });

const step = (onConditionFailed?: (old: Record<string, unknown> | undefined) => Error) => ({
  item: { ConditionCheck: { TableName: 't', Key: { pk: 'a', sk: 'b' }, ConditionExpression: 'attribute_exists(pk)' } },
  onConditionFailed,
});

describe('transact translates cancellation reasons', () => {
  it('ConditionalCheckFailed → the error named by that step, given the item as it was', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed'], { available: 5 }));
    const second = step((old) => new DomainError('insufficient_allocation', `available ${String(old?.available)}`));
    await expect(tx.transact([step(), second])).rejects.toMatchObject({ code: 'insufficient_allocation', message: 'available 5' });
  });

  it('ConditionalCheckFailed on a step without a mapping → invalid_state, never a 500', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed']));
    await expect(tx.transact([step()])).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('TransactionConflict → retried by retryOnConflict until it goes through', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None']))
      .resolves({});
    let attempts = 0;
    await tx.retryOnConflict(async () => {
      attempts++;
      await tx.transact([step(), step()]);
    });
    expect(attempts).toBe(2);
  });

  it('TransactionConflict that never clears → TransactionConflict after the last attempt', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(['TransactionConflict']));
    await expect(tx.retryOnConflict(() => tx.transact([step()]), 3)).rejects.toBeInstanceOf(tx.TransactionConflict);
  });

  it('retryReadingLightly: reads lightly once; a refusal or a conflict is decided again on consistent reads', async () => {
    const seen: boolean[] = [];
    const answer = await tx.retryReadingLightly(async (consistent) => {
      seen.push(consistent);
      if (!consistent) throw new DomainError('flagged', 'decided on a copy that lags');
      return 'approved';
    });
    expect([answer, seen]).toEqual(['approved', [false, true]]);
    seen.length = 0;
    await expect(
      tx.retryReadingLightly(async (consistent) => {
        seen.push(consistent);
        if (seen.length < 3) throw new tx.TransactionConflict();
        throw new DomainError('invalid_state', 'the definite answer');
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    expect(seen).toEqual([false, true, true]);
    seen.length = 0;
    expect(await tx.retryReadingLightly(async (consistent) => (seen.push(consistent), 'done'))).toBe('done');
    expect(seen).toEqual([false]);
  });

  it.each(['ThrottlingError', 'ProvisionedThroughputExceeded'])('%s → StoreThrottled', async (code) => {
    ddb.on(TransactWriteCommand).rejects(cancelled([code]));
    await expect(tx.transact([step()])).rejects.toBeInstanceOf(tx.StoreThrottled);
  });

  it('gives every transaction its own ClientRequestToken, so an SDK retry of a write that landed is not applied twice', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await tx.transact([step()]);
    await tx.transact([step()]);
    const tokens = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(tokens.every((t) => typeof t === 'string' && t.length >= 32)).toBe(true);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it.each(['ValidationError', 'ItemCollectionSizeLimitExceeded'])('%s → an internal error (our bug, not the caller’s)', async (code) => {
    ddb.on(TransactWriteCommand).rejects(cancelled([code]));
    await expect(tx.transact([step()])).rejects.toThrow(`transaction cancelled: ${code}`);
  });
});

function event(method: string, path: string, routeKey: string, body?: unknown, pathParameters?: Record<string, string>) {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
    pathParameters,
    requestContext: {
      requestId: 'req-1',
      http: { method, path },
      authorizer: { jwt: { claims: { sub: 'admin-1', 'cognito:groups': '[fund-admin]' }, scopes: [] } },
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

const context = {
  functionName: 'relief-fund-funds',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 29_000,
} as unknown as Context;

describe('the HTTP stack under store faults', () => {
  // The faults are logged for operators; captured here, so a passing run prints nothing, and asserted on.
  let logs: LogCapture;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());
  const fundId = 'fund_01M8MB7QKGZ7EXTNFH95G3P5TD';
  const fundItem = {
    fundId,
    name: 'F',
    currency: 'CNY',
    totalBudget: 100,
    allocated: 0,
    unallocated: 100,
    dualApprovalThreshold: 10,
    financeSystem: 'fin',
    noticePeriod: 'P0D',
    createdAt: '2026-03-01T08:00:00.000Z',
  };

  it('a throttled allocation write → 503 temporarily_unavailable with Retry-After, no internal text', async () => {
    // The fund exists; the county has no allocation yet.
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: `FUND#${fundId}`, sk: 'FUND' } }).resolves({ Item: fundItem });
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ThrottlingError', 'None', 'None', 'None']));
    const res = (await funds.handler(
      event(
        'PUT',
        `/v1/funds/${fundId}/allocations/620821`,
        'PUT /v1/funds/{fundId}/allocations/{countyCode}',
        { amount: 50 },
        {
          fundId,
          countyCode: '620821',
        },
      ) as never,
      context,
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'temporarily_unavailable' });
    expect(res.body).not.toMatch(/Throttl|Dynamo|Exception/);
    expect(logs.text()).toContain('"message":"store throttled after retries"');
  });

  it('a read that stays throttled after the SDK retries → 503, not 500', async () => {
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    ddb.on(QueryCommand).resolves({ Items: [] });
    const res = (await funds.handler(
      event('GET', `/v1/funds/${fundId}`, 'GET /v1/funds/{fundId}', undefined, { fundId }) as never,
      context,
    )) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('slow down');
  });

  it('an unexpected store error → 500 problem+json without its text', async () => {
    ddb.on(GetCommand).rejects(new Error('socket hang up at 10.0.3.7:443 with secret sauce'));
    const res = (await funds.handler(
      event('GET', `/v1/funds/${fundId}`, 'GET /v1/funds/{fundId}', undefined, { fundId }) as never,
      context,
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).not.toMatch(/socket|10\.0\.3\.7|secret/);
    // The operator's line carries the request's correlation id, to find the error from the response.
    const errorLine = logs
      .text()
      .split('\n')
      .find((line) => line.includes('"level":"ERROR"'));
    expect(errorLine).toContain('"correlation_id":"req-1"');
  });
});
