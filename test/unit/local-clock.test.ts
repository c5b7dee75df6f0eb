/**
 * The local runtime's clock for the seed: a request is handled at the past instant its X-Local-Clock names only
 * when the handler environment says LOCAL_CLOCK=header (npm start); deployed, the header means nothing.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '#shared/domain/errors';
import { requestTime } from '#shared/http/local-clock';
import { handlerEnvironment } from '#local/environment';

const now = new Date('2026-12-07T02:00:00.000Z');
const past = '2026-06-01T02:00:00Z';

describe('requestTime', () => {
  it('ignores the header where the runtime does not allow it (deployed)', () => {
    expect(requestTime({ 'x-local-clock': past }, {}, now)).toBe(now);
    expect(requestTime({ 'x-local-clock': past }, { LOCAL_CLOCK: 'yes' }, now)).toBe(now);
  });

  it('takes a past instant under npm start, and now without the header', () => {
    expect(requestTime({ 'x-local-clock': past }, { LOCAL_CLOCK: 'header' }, now).toISOString()).toBe('2026-06-01T02:00:00.000Z');
    expect(requestTime({}, { LOCAL_CLOCK: 'header' }, now)).toBe(now);
  });

  it('refuses a future instant and anything that is not an RFC 3339 UTC instant, as a 400', () => {
    for (const value of ['2027-01-01T00:00:00Z', '2026-06-01', 'yesterday', '2026-13-01T00:00:00Z', '2026-06-01T02:00:00+08:00']) {
      expect(() => requestTime({ 'x-local-clock': value }, { LOCAL_CLOCK: 'header' }, now), value).toThrow(DomainError);
    }
  });

  it('is switched on in the local handler environment', () => {
    const env = handlerEnvironment({
      tableName: 't',
      queueUrls: { delivery: 'd', expansion: 'e' } as never,
      secretsFiles: { app: 'a', pii: 'p' },
      dynamoEndpoint: 'http://127.0.0.1:1',
      sqsEndpoint: 'http://127.0.0.1:2',
      sweepSeconds: 60,
    });
    expect(env.LOCAL_CLOCK).toBe('header');
  });
});
