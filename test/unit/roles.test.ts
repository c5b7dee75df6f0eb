import { describe, expect, it } from 'vitest';
import { rolesFromClaims } from '#shared/domain/roles';

describe('roles from JWT claims', () => {
  it('reads cognito:groups as API Gateway flattens them ("[a b]") and as arrays', () => {
    expect(rolesFromClaims({ 'cognito:groups': '[fund-admin approver]' }).sort()).toEqual(['approver', 'fund-admin']);
    expect(rolesFromClaims({ 'cognito:groups': ['auditor'] })).toEqual(['auditor']);
  });

  it('reads relief-fund/<role> scopes of machine clients and ignores other scopes', () => {
    expect(rolesFromClaims({ scope: 'relief-fund/finance-system openid other/approver' })).toEqual(['finance-system']);
  });

  it('ignores unknown groups, so a made-up role grants nothing', () => {
    expect(rolesFromClaims({ 'cognito:groups': '[admin superuser]', scope: 'relief-fund/root' })).toEqual([]);
  });
});
