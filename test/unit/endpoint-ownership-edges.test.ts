/**
 * Endpoint ownership at its edges: callers holding several roles, an auditor, a fund-admin whose sub happens to be a
 * finance system's name, and what each refusal tells the caller.
 */
import { describe, expect, it } from 'vitest';
import { decideBinding, decideEndpointAccess, endpointScope, type EndpointAction } from '#shared/domain/endpoint-ownership';
import { answerOf } from '#test/support/refusal';

const owned = { endpointId: 'whe_1', financeSystem: 'fs-one' };
const ACTIONS: EndpointAction[] = ['read', 'change', 'rotate', 'delete', 'test', 'resend'];

describe('who sees which endpoints', () => {
  it('a fund-admin or an auditor sees every endpoint, whatever other roles it holds; a finance system only its own', () => {
    expect(endpointScope({ sub: 'a', roles: ['fund-admin'] })).toBeUndefined();
    expect(endpointScope({ sub: 'a', roles: ['auditor'] })).toBeUndefined();
    expect(endpointScope({ sub: 'a', roles: ['observer', 'auditor'] })).toBeUndefined();
    expect(endpointScope({ sub: 'fs-one', roles: ['finance-system'] })).toBe('fs-one');
    expect(endpointScope({ sub: 'x', roles: [] })).toBe('x');
    expect(answerOf(() => decideEndpointAccess({ sub: 'aud', roles: ['auditor'] }, owned, 'read'))).toBeUndefined();
  });

  it("an endpoint outside a finance system's scope is not found, by its id", () => {
    expect(answerOf(() => decideEndpointAccess({ sub: 'fs-two', roles: ['finance-system'] }, owned, 'read'))).toEqual({
      code: 'not_found',
      message: 'Webhook endpoint whe_1 was not found',
    });
  });
});

describe("a finance system's endpoint", () => {
  it('is not owned by a fund-admin whose sub is the finance system’s name', () => {
    const lookalike = { sub: 'fs-one', roles: ['fund-admin'] };
    expect(answerOf(() => decideEndpointAccess(lookalike, owned, 'rotate'))?.code).toBe('forbidden');
    expect(answerOf(() => decideEndpointAccess(lookalike, owned, 'change', { url: 'https://elsewhere' }))?.code).toBe('forbidden');
  });

  it('is not owned by another finance system that is also a fund-admin', () => {
    const other = { sub: 'fs-two', roles: ['finance-system', 'fund-admin'] };
    expect(answerOf(() => decideEndpointAccess(other, owned, 'rotate'))?.code).toBe('forbidden');
    const self = { sub: 'fs-one', roles: ['finance-system', 'fund-admin'] };
    for (const action of ACTIONS) expect(answerOf(() => decideEndpointAccess(self, owned, action, { url: 'https://x' }))).toBeUndefined();
  });

  it('tells a fund-admin who alone may rotate its secret or change its url or events', () => {
    const admin = { sub: 'admin', roles: ['fund-admin'] };
    expect(answerOf(() => decideEndpointAccess(admin, owned, 'rotate'))).toEqual({
      code: 'forbidden',
      message: 'Only fs-one rotates the secret of its endpoint',
    });
    expect(answerOf(() => decideEndpointAccess(admin, owned, 'change', { events: ['payout.sent'] }))).toEqual({
      code: 'forbidden',
      message: 'Only fs-one changes the url or events of its endpoint',
    });
  });

  it('judges url and events only on a change: other actions carry no fields to refuse', () => {
    const admin = { sub: 'admin', roles: ['fund-admin'] };
    for (const action of ['read', 'delete', 'test', 'resend'] as const) {
      expect(answerOf(() => decideEndpointAccess(admin, owned, action, { url: 'https://x', events: ['*'] }))).toBeUndefined();
    }
  });
});

describe('binding refusals', () => {
  it('say why', () => {
    expect(answerOf(() => decideBinding({ sub: 'fs-one', roles: ['finance-system'] }, 'fs-two'))).toEqual({
      code: 'forbidden',
      message: 'A finance system binds an endpoint only to itself',
    });
    expect(answerOf(() => decideBinding({ sub: 'admin', roles: ['fund-admin'] }, 'fs-one'))).toEqual({
      code: 'forbidden',
      message: "Only a finance system binds an endpoint to itself, with its own token; a fund admin's endpoints are observers",
    });
  });
});
