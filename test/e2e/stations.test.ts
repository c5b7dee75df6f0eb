/**
 * A full onboarding over HTTP through the local runtime (JWT authorizer, API Gateway v2 adapter, the
 * stations function, the delivery worker polling SQS, a real webhook receiver), with every log line
 * of the process captured: the operator's phone and national ID reach no log and no webhook, masked
 * or not, and failed validations echo nothing back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Before any import creates the Logger: log at DEBUG so every line the code can emit is checked.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

import { randomUUID } from 'node:crypto';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { nationalIdCheckCharacter } from '#shared/domain/personal-data';
import { captureLogs, type LogCapture } from '#test/support/log-capture';

let rt: TestRuntime;
let receiver: Receiver;
let logs: LogCapture;

// An operator whose data is recognisable anywhere: birth date 1968-07-21, check character X.
const BIRTH_DATE = '19680721';
function operatorNationalId(): string {
  for (let seq = 100; ; seq++) {
    const first17 = `622923${BIRTH_DATE}${seq}`;
    if (nationalIdCheckCharacter(first17) === 'X') return `${first17}X`;
  }
}
const NATIONAL_ID = operatorNationalId();
const PHONE = '15937264810';
const COUNTY = '622923';

const officerA = { roles: 'station-officer', sub: 'officer-a' };
const officerB = { roles: 'station-officer', sub: 'officer-b' };

beforeAll(async () => {
  logs = captureLogs();
  receiver = await startReceiver();
  rt = await startTestRuntime();
  const county = await rt.api('PUT', `/v1/counties/${COUNTY}`, {
    roles: 'fund-admin',
    sub: 'admin-1',
    body: { name: 'Dongxiang', province: 'Gansu' },
  });
  expect(county.status).toBe(201);
  const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
    roles: 'fund-admin',
    sub: 'admin-1',
    body: { url: receiver.url, events: ['station.activated', 'station.suspended'] },
  });
  expect(endpoint.status).toBe(201);
});

afterAll(async () => {
  await rt?.stop();
  await receiver?.stop();
  logs?.restore();
});

/** Everything that identifies the operator, in full or in the masked forms responses use. */
const FORBIDDEN: [string, RegExp][] = [
  ['national ID', new RegExp(NATIONAL_ID, 'i')],
  ['national ID from the birth date on', new RegExp(NATIONAL_ID.slice(6), 'i')],
  ['birth date', new RegExp(BIRTH_DATE)],
  ['last 4 of the national ID (masked or alone)', new RegExp(`(\\*|\\b)${NATIONAL_ID.slice(-4)}\\b`, 'i')],
  ['phone', new RegExp(PHONE)],
  ['phone without its prefix', new RegExp(PHONE.slice(3))],
  ['masked phone', new RegExp(`${PHONE.slice(0, 3)}\\*+${PHONE.slice(-4)}`)],
];

describe('onboarding a station end to end', () => {
  it('applies, trains, approves, suspends and reinstates with masked replies and webhooks', async () => {
    const operator = { name: 'Ma Jun', phone: PHONE, nationalId: NATIONAL_ID };
    const body = { countyCode: COUNTY, village: 'Suonan', name: 'Suonan village station', kind: 'village-service-station', operator };

    // A failed validation first: nothing echoed back, nothing stored.
    const wrongCheck = `${NATIONAL_ID.slice(0, 17)}0`;
    const invalid = await rt.api('POST', '/v1/stations', {
      ...officerA,
      idempotencyKey: randomUUID(),
      body: { ...body, operator: { ...operator, phone: `12${PHONE.slice(2)}`, nationalId: wrongCheck } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    const invalidText = JSON.stringify(invalid.body);
    expect(invalidText).not.toContain(wrongCheck);
    expect(invalidText).not.toContain(PHONE.slice(2));

    const applied = await rt.api('POST', '/v1/stations', { ...officerA, idempotencyKey: randomUUID(), body });
    expect(applied.status).toBe(201);
    const id = applied.body.stationId as string;
    expect(applied.body.operator).toEqual({ name: 'Ma Jun', phone: '159****4810', nationalId: `**************${NATIONAL_ID.slice(-4)}` });

    const duplicate = await rt.api('POST', '/v1/stations', { ...officerB, idempotencyKey: randomUUID(), body });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('operator_already_registered');

    const steps = [
      ['training', officerA, { completedAt: '2026-03-02T01:00:00Z', course: 'Station operations and bookkeeping' }, 'applied'],
      ['approve', officerB, {}, 'active'],
      ['suspend', officerB, { reason: 'stock audit' }, 'suspended'],
      ['reinstate', officerA, {}, 'active'],
    ] as const;
    const replies = [applied.body];
    for (const [action, officer, stepBody, status] of steps) {
      const res = await rt.api('POST', `/v1/stations/${id}/${action}`, { ...officer, body: stepBody });
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.status).toBe(status);
      replies.push(res.body);
    }
    replies.push((await rt.api('GET', `/v1/stations/${id}`, { roles: 'auditor', sub: 'auditor-1' })).body);
    replies.push((await rt.api('GET', `/v1/stations?countyCode=${COUNTY}`, { roles: 'requester', sub: 'req-1' })).body);
    const report = await rt.api('GET', `/v1/counties/${COUNTY}/report`, { roles: 'auditor', sub: 'auditor-1' });
    expect(report.body.stations).toEqual({ applied: 0, active: 1, suspended: 0 });

    for (const reply of replies) {
      const text = JSON.stringify(reply);
      for (const [what, pattern] of FORBIDDEN.filter(([w]) => !w.startsWith('last 4') && !w.startsWith('masked'))) {
        expect(text, `${what} in a reply`).not.toMatch(pattern);
      }
    }

    // station.activated, station.suspended, station.activated: the Station, masked.
    const delivered = await receiver.waitFor(3, 20_000);
    const events = delivered.map((r) => r.json as { type: string; data: { stationId: string; status: string; operator: unknown } });
    expect(events.map((e) => e.type).sort()).toEqual(['station.activated', 'station.activated', 'station.suspended']);
    for (const e of events) {
      expect(e.data.stationId).toBe(id);
      expect(e.data.operator).toEqual({ name: 'Ma Jun', phone: '159****4810', nationalId: `**************${NATIONAL_ID.slice(-4)}` });
    }
    for (const request of delivered) {
      expect(request.body).not.toContain(PHONE);
      expect(request.body).not.toContain(NATIONAL_ID);
      expect(request.body).not.toContain(BIRTH_DATE);
    }
  });

  it('wrote no phone and no national ID, in full, in part or masked, to any log line', () => {
    const text = logs.text();
    // The capture works: the handlers' request lines are in it.
    expect(text).toMatch(/"operation":"applyStation"/);
    expect(text).toMatch(/"operation":"reinstateStation"/);
    for (const [what, pattern] of FORBIDDEN) expect(text, `${what} in the logs`).not.toMatch(pattern);
  });
});
