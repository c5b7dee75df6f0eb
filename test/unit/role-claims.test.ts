/** Which roles a token grants: the edges of reading `cognito:groups` and `scope` claims. */
import { describe, expect, it } from 'vitest';
import { isRole, rolesFromClaims, ROLES } from '#shared/domain/roles';

/** The claims of a listed machine client's access token (the only tokens whose scopes count), plus `extra`. */
const claimsOfMachine = (extra: Record<string, unknown>) =>
  rolesFromClaims({ token_use: 'access', client_id: 'machine-1', ...extra }, ['machine-1']);

const sorted = (roles: string[]) => [...roles].sort();

describe('roles from JWT claims', () => {
  it('the contract has exactly seven roles', () => {
    expect(sorted([...ROLES])).toEqual([
      'approver',
      'auditor',
      'campaign-operator',
      'finance-system',
      'fund-admin',
      'requester',
      'station-officer',
    ]);
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    expect(isRole('Fund-Admin')).toBe(false);
    expect(isRole('')).toBe(false);
  });

  it('a scope of another resource server whose name is as long as relief-fund/ grants nothing', () => {
    // 'relief-fake/' has the same length as 'relief-fund/': only the prefix itself may grant a role.
    expect(claimsOfMachine({ scope: 'relief-fake/approver' })).toEqual([]);
    expect(claimsOfMachine({ scope: 'xrelief-fund/approver' })).toEqual([]);
  });

  it('a bare role name as a scope grants nothing: machine clients need the relief-fund/ prefix', () => {
    expect(claimsOfMachine({ scope: 'approver fund-admin' })).toEqual([]);
  });

  it('groups and scopes add up, and a role named twice is granted once', () => {
    expect(
      sorted(claimsOfMachine({ 'cognito:groups': ['approver', 'auditor'], scope: 'relief-fund/auditor relief-fund/finance-system' })),
    ).toEqual(['approver', 'auditor', 'finance-system']);
  });

  it('reads the flattened form with commas or several spaces, and a single unbracketed group', () => {
    expect(sorted(claimsOfMachine({ 'cognito:groups': '[fund-admin,  approver]' }))).toEqual(['approver', 'fund-admin']);
    expect(sorted(claimsOfMachine({ 'cognito:groups': ' [fund-admin approver] ' }))).toEqual(['approver', 'fund-admin']);
    expect(claimsOfMachine({ 'cognito:groups': 'auditor' })).toEqual(['auditor']);
    expect(claimsOfMachine({ scope: '  relief-fund/requester  ' })).toEqual(['requester']);
  });

  it('a claim with one stray bracket is not unwrapped: the piece touching the bracket grants nothing, the rest counts', () => {
    expect(claimsOfMachine({ 'cognito:groups': '[auditor approver' })).toEqual(['approver']);
    expect(claimsOfMachine({ 'cognito:groups': 'approver auditor]' })).toEqual(['approver']);
  });

  it('claims that are neither strings nor lists of strings grant nothing', () => {
    expect(claimsOfMachine({})).toEqual([]);
    expect(claimsOfMachine({ 'cognito:groups': 42, scope: { role: 'relief-fund/approver' } })).toEqual([]);
    expect(claimsOfMachine({ 'cognito:groups': [7, null, 'approver', ['auditor']] })).toEqual(['approver']);
    expect(claimsOfMachine({ scope: [7, null, 'relief-fund/approver', { scope: 'relief-fund/auditor' }] })).toEqual(['approver']);
    expect(claimsOfMachine({ 'cognito:groups': '', scope: '   ' })).toEqual([]);
  });
});
