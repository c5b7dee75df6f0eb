import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideBinding, decideEndpointAccess, type EndpointAction } from '#shared/domain/endpoint-ownership';
import { DomainError } from '#shared/domain/errors';
import { ROLES } from '#shared/domain/roles';
import { codeOf } from '#test/support/refusal';

const ACTIONS: EndpointAction[] = ['read', 'change', 'rotate', 'delete', 'test', 'resend'];
const SUBS = ['fs-one', 'fs-two', 'admin'];

describe('binding an endpoint', () => {
  it('a finance system binds only to itself; nobody else names a financeSystem', () => {
    expect(decideBinding({ sub: 'fs-one', roles: ['finance-system'] }, undefined)).toBe('fs-one');
    expect(decideBinding({ sub: 'fs-one', roles: ['finance-system'] }, 'fs-one')).toBe('fs-one');
    expect(codeOf(() => decideBinding({ sub: 'fs-one', roles: ['finance-system'] }, 'fs-two'))).toBe('forbidden');
    expect(decideBinding({ sub: 'admin', roles: ['fund-admin'] }, undefined)).toBeNull();
    expect(codeOf(() => decideBinding({ sub: 'admin', roles: ['fund-admin'] }, 'fs-one'))).toBe('forbidden');
    // Not even a fund-admin naming itself.
    expect(codeOf(() => decideBinding({ sub: 'admin', roles: ['fund-admin'] }, 'admin'))).toBe('forbidden');
  });

  it('whatever the roles, a bound endpoint belongs to the caller itself', () => {
    fc.assert(
      fc.property(
        fc.subarray([...ROLES]),
        fc.constantFrom(...SUBS),
        fc.option(fc.constantFrom(...SUBS), { nil: undefined }),
        (roles, sub, named) => {
          let bound: string | null | undefined;
          try {
            bound = decideBinding({ sub, roles }, named);
          } catch (error) {
            expect((error as DomainError).code).toBe('forbidden');
            return;
          }
          if (bound !== null) expect(bound).toBe(sub);
          if (bound !== null) expect(roles).toContain('finance-system');
        },
      ),
    );
  });
});

describe('using an endpoint', () => {
  const endpoint = (financeSystem: string | null) => ({ endpointId: 'whe_1', financeSystem });
  const admin = { sub: 'admin', roles: ['fund-admin'] };
  const one = { sub: 'fs-one', roles: ['finance-system'] };
  const two = { sub: 'fs-two', roles: ['finance-system'] };

  it('the owning finance system may do anything; another finance system finds nothing', () => {
    for (const action of ACTIONS) {
      expect(codeOf(() => decideEndpointAccess(one, endpoint('fs-one'), action, { url: 'x', events: [] }))).toBeUndefined();
      expect(codeOf(() => decideEndpointAccess(two, endpoint('fs-one'), action))).toBe('not_found');
      expect(codeOf(() => decideEndpointAccess(one, endpoint(null), action))).toBe('not_found');
    }
  });

  it("a fund-admin on a finance system's endpoint: never its url, events or secret", () => {
    for (const action of ['read', 'delete', 'test', 'resend'] as const) {
      expect(codeOf(() => decideEndpointAccess(admin, endpoint('fs-one'), action))).toBeUndefined();
    }
    expect(
      codeOf(() => decideEndpointAccess(admin, endpoint('fs-one'), 'change', { status: 'enabled', description: 'd' })),
    ).toBeUndefined();
    expect(codeOf(() => decideEndpointAccess(admin, endpoint('fs-one'), 'change', { url: 'https://x' }))).toBe('forbidden');
    expect(codeOf(() => decideEndpointAccess(admin, endpoint('fs-one'), 'change', { events: ['*'] }))).toBe('forbidden');
    expect(codeOf(() => decideEndpointAccess(admin, endpoint('fs-one'), 'rotate'))).toBe('forbidden');
    for (const action of ACTIONS) {
      expect(codeOf(() => decideEndpointAccess(admin, endpoint(null), action, { url: 'https://x', events: ['*'] }))).toBeUndefined();
    }
  });
});
