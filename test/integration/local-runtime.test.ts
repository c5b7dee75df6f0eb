/**
 * The local runtime against the real local services: the API Gateway stand-in (routing, payload v2,
 * JWT authorizer), per-invocation log state under concurrency, the SQS event source emulation and the
 * schedule. Probe handlers go through the same adapter, poller and invoke code as the real ones.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, ScheduledEvent, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { exportJWK, SignJWT, importJWK, decodeJwt, decodeProtectedHeader } from 'jose';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { inject } from 'vitest';
import { jwtAuthorizer } from '#local/authorizer';
import { LOCAL_MACHINE_CLIENT_ID } from '#local/keys';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { ensureQueue } from '#local/resources';
import { startQueuePoller } from '#local/sqs-poller';
import type { LambdaHandler } from '#local/invoke';
import { logger } from '#shared/logger';
import { recordingHttpHandlers, startTestRuntime, type TestRuntime } from '#test/support/runtime';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('HTTP adapter and JWT authorizer', () => {
  let rt: TestRuntime;
  const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

  beforeAll(async () => {
    rt = await startTestRuntime({ pollers: false, handlers: recordingHttpHandlers(events) });
  });
  afterAll(() => rt?.stop());

  it('answers GET /health without a token', async () => {
    const res = await rt.api('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('accepts a minted token on an authenticated route and passes claims flattened like HTTP API', async () => {
    events.length = 0;
    const token = await rt.token(['auditor', 'approver'], 'alice');
    const res = await rt.api('GET', '/v1/counties?province=Guizhou', { token, headers: { cookie: 'a=1; b=2' } });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);

    expect(events).toHaveLength(1);
    const event = events[0]!;
    const { exp, iat } = decodeJwt(token);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /v1/counties');
    expect(event.rawPath).toBe('/v1/counties');
    expect(event.rawQueryString).toBe('province=Guizhou');
    expect(event.queryStringParameters).toEqual({ province: 'Guizhou' });
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.stage).toBe('$default');
    expect(event.requestContext.http.method).toBe('GET');
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({
      sub: 'alice',
      'cognito:groups': '[auditor approver]',
      exp: String(exp),
      iat: String(iat),
      aud: 'relief-fund',
    });
    expect(res.headers.get('x-correlation-id')).toBe(event.requestContext.requestId);
  });

  it('gives path parameters and repeated query keys comma-joined', async () => {
    events.length = 0;
    const res = await rt.api('GET', '/v1/counties/522633?x=1&x=2', { roles: 'auditor' });
    // The handler's own answer (unknown county, or an unknown query key) is not the point here.
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(events[0]?.routeKey).toBe('GET /v1/counties/{countyCode}');
    expect(events[0]?.pathParameters).toEqual({ countyCode: '522633' });
    expect(events[0]?.queryStringParameters).toEqual({ x: '1,2' });
  });

  it('accepts a machine client token (scope + client_id, no aud)', async () => {
    events.length = 0;
    const key = await signingKey(rt);
    const token = await new SignJWT({ scope: 'relief-fund/finance-system', client_id: LOCAL_MACHINE_CLIENT_ID, token_use: 'access' })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(key.issuer)
      .setSubject('ledger-bot')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    const res = await rt.api('GET', '/v1/counties', { token });
    expect(res.status).toBe(200);
    expect(events[0]?.requestContext.authorizer.jwt.scopes).toEqual(['relief-fund/finance-system']);
  });

  describe('refuses with 401 problem+json before any handler runs', () => {
    const cases: [string, (rt: TestRuntime) => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['a token that is not a JWT', async () => 'not-a-jwt'],
      ['an expired token', async (r) => (await signingKey(r)).sign({ exp: now() - 5 })],
      ['a token not yet valid (nbf)', async (r) => (await signingKey(r)).sign({ nbf: now() + 300 })],
      ['a token without exp', async (r) => (await signingKey(r)).sign({ exp: undefined })],
      ['the wrong issuer', async (r) => (await signingKey(r)).sign({ iss: 'http://127.0.0.1:1/other-issuer' })],
      ['the wrong audience', async (r) => (await signingKey(r)).sign({ aud: 'someone-else' })],
      ['no audience and no client_id', async (r) => (await signingKey(r)).sign({ aud: undefined })],
      ['alg none', async (r) => unsigned(await r.token('fund-admin', 'mallory'))],
      ['HS256 signed with the public key', async (r) => hs256WithPublicKey(r)],
      ['a tampered payload', async (r) => tamper(await r.token('auditor', 'mallory'))],
      ['an unknown kid', async (r) => otherKeySigned(r, 'other-kid')],
      ['a known kid but another key', async (r) => otherKeySigned(r, (await signingKey(r)).kid)],
      // API Gateway's rules, one broken at a time: kid must name a key of the JWKS (none chosen for it)...
      ['no kid in the header', async (r) => (await signingKey(r)).sign({}, { alg: 'RS256' })],
      // ...aud is checked when present, client_id only when aud is absent...
      [
        'a wrong aud although client_id matches',
        async (r) => (await signingKey(r)).sign({ aud: 'someone-else', client_id: 'relief-fund' }),
      ],
      ['a wrong client_id and no aud', async (r) => (await signingKey(r)).sign({ aud: undefined, client_id: 'someone-else' })],
      // ...exp after now, nbf and iat before it.
      ['exp exactly now', async (r) => (await signingKey(r)).sign({ exp: now() })],
      ['an iat in the future', async (r) => (await signingKey(r)).sign({ iat: now() + 300 })],
      ['an iat that is not a number', async (r) => (await signingKey(r)).sign({ iat: 'yesterday' })],
    ];
    it.each(cases)('%s', async (_name, makeToken) => {
      events.length = 0;
      const token = await makeToken(rt);
      const res = await rt.api('GET', '/v1/counties', token === undefined ? {} : { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toMatchObject({ status: 401, code: 'unauthenticated' });
      expect(events).toHaveLength(0);
    });
  });

  it('evaluates aud and ignores client_id when both are present; accepts nbf and iat in the past', async () => {
    const key = await signingKey(rt);
    for (const token of [await key.sign({ client_id: 'someone-else' }), await key.sign({ nbf: now() - 60, iat: now() - 60 })]) {
      expect((await rt.api('GET', '/v1/counties', { token })).status).toBe(200);
    }
  });

  it("requires one of a route's authorization scopes, from scope or scp, when the route names any", async () => {
    const key = await signingKey(rt);
    const authorize = jwtAuthorizer({ issuer: key.issuer, audience: ['relief-fund'], publicKeys: [key.publicJwk] });
    const route = { authorizationScopes: ['relief-fund/finance-system'] };
    const bearer = async (claims: Record<string, unknown>) => `Bearer ${await key.sign(claims)}`;
    expect(await authorize(await bearer({}), route)).toBeUndefined();
    expect(await authorize(await bearer({ scope: 'relief-fund/auditor openid' }), route)).toBeUndefined();
    expect((await authorize(await bearer({ scope: 'openid relief-fund/finance-system' }), route))?.scopes).toEqual([
      'openid',
      'relief-fund/finance-system',
    ]);
    expect((await authorize(await bearer({ scp: ['relief-fund/finance-system'] }), route))?.scopes).toEqual(['relief-fund/finance-system']);
    // A route without authorization scopes takes any valid token, as every route of this API does.
    expect(await authorize(await bearer({}))).toBeDefined();
  });

  it('answers an unknown route, or a known path with another method, 404 problem+json', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['DELETE', '/v1/counties'],
      ['GET', '/v1/counties/'],
      ['GET', '/health/extra'],
    ] as const) {
      const res = await rt.api(method, path, { roles: 'fund-admin' });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.code).toBe('not_found');
    }
  });

  it("refuses a body over API Gateway's 10 MiB with API Gateway's own 413 (not problem+json: no function runs)", async () => {
    events.length = 0;
    const res = await rt.api('PUT', '/v1/counties/522633', {
      roles: 'fund-admin',
      body: JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({ message: 'Request Entity Too Large' });
    expect(events).toHaveLength(0);
  });
});

describe('concurrent invocations', () => {
  let rt: TestRuntime;
  const lines: string[] = [];

  beforeAll(async () => {
    // A probe on GET /health that logs through the shared Powertools Logger between awaits, the way a
    // handler logs between DynamoDB calls.
    const probe = middy<APIGatewayProxyEventV2WithJWTAuthorizer, unknown>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .handler(async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => {
        const id = event.headers['x-correlation-id']!;
        // The run keeps handler logs at WARN; this invocation (only) logs at INFO.
        logger.setLogLevel('INFO');
        logger.setCorrelationId(id);
        logger.appendKeys({ caller: `caller-${id}` });
        for (let step = 0; step < 3; step++) {
          await sleep(Math.floor(Math.random() * 15));
          logger.info('probe', { expected: id, step });
        }
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) };
      });
    rt = await startTestRuntime({
      pollers: false,
      handlers: { http: async () => probe },
    });
  });
  afterAll(() => rt?.stop());
  afterEach(() => vi.restoreAllMocks());

  it('keep separate correlation ids and keys in the logs', async () => {
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.includes('"probe"')) {
        lines.push(...text.split('\n').filter(Boolean));
        return true;
      }
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    });

    const ids = Array.from({ length: 30 }, () => randomUUID());
    const replies = await Promise.all(ids.map((id) => rt.api('GET', '/health', { headers: { 'x-correlation-id': id } })));
    expect(replies.map((r) => r.body.id)).toEqual(ids);

    const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toHaveLength(ids.length * 3);
    for (const log of logs) {
      expect(log.correlation_id).toBe(log.expected);
      expect(log.caller).toBe(`caller-${String(log.expected)}`);
      expect(log.function_request_id).toBeTypeOf('string');
    }
    // One Lambda request id per invocation, never shared.
    const requestIdsPerCorrelation = new Map<unknown, Set<unknown>>();
    for (const log of logs) {
      const set = requestIdsPerCorrelation.get(log.expected) ?? new Set();
      set.add(log.function_request_id);
      requestIdsPerCorrelation.set(log.expected, set);
    }
    expect([...requestIdsPerCorrelation.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set(logs.map((l) => l.function_request_id)).size).toBe(ids.length);
  });
});

describe('SQS event source emulation', () => {
  const sqs = new SQSClient({ region: localRegion(), credentials: LOCAL_CREDENTIALS, endpoint: inject('sqsEndpoint') });
  afterAll(() => sqs.destroy());

  it('deletes successes, redelivers partial failures, and moves a message that always fails to the DLQ', async () => {
    const queue = await ensureQueue(sqs, { name: `poller-${randomUUID().slice(0, 8)}`, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const seen: { body: string; receiveCount: number; record: SQSEvent['Records'][number] }[] = [];
    const consumer: LambdaHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const failures: { itemIdentifier: string }[] = [];
      for (const record of event.Records) {
        const receiveCount = Number(record.attributes.ApproximateReceiveCount);
        seen.push({ body: record.body, receiveCount, record });
        const fails = record.body === 'poison' || (record.body === 'flaky' && receiveCount === 1);
        if (fails) failures.push({ itemIdentifier: record.messageId });
      }
      return { batchItemFailures: failures };
    };
    const poller = startQueuePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      maxBatchingWindowSeconds: 0.3,
      maxConcurrency: 2,
      timeoutMs: 5_000,
      functionName: 'probe-consumer',
      loadHandler: async () => consumer,
      log: quiet,
      waitTimeSeconds: 1,
    });
    try {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: ['ok-1', 'ok-2', 'ok-3', 'flaky', 'poison'].map((body, i) => ({
            Id: String(i),
            MessageBody: body,
            MessageAttributes: { kind: { DataType: 'String', StringValue: body } },
          })),
        }),
      );
      await waitUntil(
        () => seen.filter((s) => s.body === 'poison').length >= 2 && seen.some((s) => s.body === 'flaky' && s.receiveCount === 2),
        15_000,
      );
      // Past two more visibility timeouts: anything not deleted would have come back by now.
      await sleep(2_500);

      const times = (body: string) => seen.filter((s) => s.body === body).length;
      expect([times('ok-1'), times('ok-2'), times('ok-3')]).toEqual([1, 1, 1]);
      expect(times('flaky')).toBe(2);
      expect(times('poison')).toBe(2);

      const record = seen.find((s) => s.body === 'ok-1')!.record;
      expect(record).toMatchObject({
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: localRegion(),
        messageAttributes: { kind: { dataType: 'String', stringValue: 'ok-1' } },
        attributes: { ApproximateReceiveCount: '1' },
        md5OfBody: createHash('md5').update('ok-1').digest('hex'),
      });
      expect(record.receiptHandle).toBeTruthy();

      const dead = await receiveAll(sqs, queue.dlqUrl);
      expect(dead.map((m) => m.Body)).toEqual(['poison']);
    } finally {
      await poller.stop();
    }
  });

  it('retries the whole batch when the consumer throws, and keeps polling', async () => {
    const queue = await ensureQueue(sqs, { name: `poller-${randomUUID().slice(0, 8)}`, visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    const seen: string[] = [];
    let calls = 0;
    const consumer: LambdaHandler = async (event: SQSEvent) => {
      calls++;
      seen.push(...event.Records.map((r) => r.body));
      if (calls === 1) throw new Error('consumer crashed');
      return {};
    };
    const poller = startQueuePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      maxBatchingWindowSeconds: 0.3,
      maxConcurrency: 1,
      timeoutMs: 5_000,
      functionName: 'probe-consumer',
      loadHandler: async () => consumer,
      log: quiet,
      waitTimeSeconds: 1,
    });
    try {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: ['a', 'b'].map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      await waitUntil(() => seen.filter((b) => b === 'a').length === 2 && seen.filter((b) => b === 'b').length === 2, 10_000);
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'after-crash' }));
      await waitUntil(() => seen.includes('after-crash'), 10_000);
      await sleep(1_500);
      expect(seen.filter((b) => b === 'a')).toHaveLength(2);
      expect(seen.filter((b) => b === 'after-crash')).toHaveLength(1);
      expect(await receiveAll(sqs, queue.dlqUrl)).toEqual([]);
    } finally {
      await poller.stop();
    }
  });
  it('never runs more batches at once than maxConcurrency, and batches up to batchSize', async () => {
    const queue = await ensureQueue(sqs, { name: `poller-${randomUUID().slice(0, 8)}`, visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    const consumer: LambdaHandler = async (event: SQSEvent) => {
      running++;
      peak = Math.max(peak, running);
      sizes.push(event.Records.length);
      await sleep(300);
      running--;
    };
    const poller = startQueuePoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 2,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      receivers: 4,
      timeoutMs: 5_000,
      functionName: 'probe-consumer',
      loadHandler: async () => consumer,
      log: quiet,
      waitTimeSeconds: 1,
    });
    try {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `m-${i}` })),
        }),
      );
      await waitUntil(() => sizes.reduce((a, b) => a + b, 0) === 10 && running === 0, 15_000);
      expect(peak).toBe(2);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    } finally {
      await poller.stop();
    }
  });
});

describe('runtime wiring of consumers and the schedule', () => {
  let rt: TestRuntime;
  const deliveries: SQSEvent[] = [];
  const sweeps: ScheduledEvent[] = [];

  beforeAll(async () => {
    rt = await startTestRuntime({
      pollers: true,
      scheduler: true,
      sweepSeconds: 1,
      handlers: {
        queue: async (consumer) => async (event: SQSEvent) => {
          if (consumer === 'webhook-delivery') deliveries.push(event);
          return { batchItemFailures: [] };
        },
        schedule: async () => async (event: ScheduledEvent) => {
          sweeps.push(event);
        },
      },
    });
  });
  afterAll(() => rt?.stop());

  it('feeds the delivery queue to its consumer and runs the sweeper on its schedule', async () => {
    const sqs = rt.services.sqs;
    await sqs.send(new SendMessageCommand({ QueueUrl: rt.queueUrls.delivery, MessageBody: '{"job":"probe"}' }));
    await waitUntil(() => deliveries.length > 0 && sweeps.length >= 2, 10_000);
    expect(deliveries[0]!.Records[0]!.body).toBe('{"job":"probe"}');
    expect(deliveries[0]!.Records[0]!.eventSourceARN).toMatch(/relief-fund-delivery$/);
    expect(sweeps[0]).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    // Deleted after success: nothing left to see.
    expect(await rt.services.drainQueue(rt.queueUrls.delivery)).toEqual([]);
  });
});

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────

const now = () => Math.floor(Date.now() / 1000);

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

async function receiveAll(sqs: SQSClient, url: string) {
  const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return Messages;
}

/** The runtime's own key, read back from a token it minted (kid, issuer) and its data dir. */
async function signingKey(rt: TestRuntime) {
  const sample = await rt.token('auditor', 'sample');
  const { kid } = decodeProtectedHeader(sample);
  const { iss } = decodeJwt(sample);
  const file = await keyFileOf(rt);
  const privateKey = await importJWK(file.privateJwk, 'RS256');
  return {
    kid: kid!,
    issuer: iss!,
    privateKey,
    publicJwk: file.publicJwk,
    /** A people token with the given claims changed (undefined removes one), under the given header. */
    async sign(overrides: Record<string, unknown>, header: { alg: string; kid?: string } = { alg: 'RS256', kid: kid! }) {
      const claims: Record<string, unknown> = {
        iss,
        sub: 'mallory',
        aud: 'relief-fund',
        'cognito:groups': ['fund-admin'],
        iat: now(),
        exp: now() + 300,
        ...overrides,
      };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
      return new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
    },
  };
}

async function keyFileOf(rt: TestRuntime) {
  const { readSigningKey } = await import('#local/keys');
  return readSigningKey(rt.dataDir);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function unsigned(token: string): string {
  const payload = decodeJwt(token);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
}

function tamper(token: string): string {
  const [header, , signature] = token.split('.');
  const payload = { ...decodeJwt(token), 'cognito:groups': ['fund-admin'] };
  return `${header}.${b64url(payload)}.${signature}`;
}

/** The classic key-confusion attack: HMAC with the RSA public key as the secret. */
async function hs256WithPublicKey(rt: TestRuntime): Promise<string> {
  const key = await signingKey(rt);
  const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
  return new SignJWT({ aud: 'relief-fund', 'cognito:groups': ['fund-admin'] })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setIssuer(key.issuer)
    .setSubject('mallory')
    .setExpirationTime('5m')
    .sign(secret);
}

async function otherKeySigned(rt: TestRuntime, kid: string): Promise<string> {
  const { issuer } = await signingKey(rt);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return new SignJWT({ aud: 'relief-fund', 'cognito:groups': ['fund-admin'] })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(issuer)
    .setSubject('mallory')
    .setExpirationTime('5m')
    .sign(await importJWK({ ...jwk, alg: 'RS256' }, 'RS256'));
}
