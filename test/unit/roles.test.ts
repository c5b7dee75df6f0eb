/**
 * Which roles a token grants (`cognito:groups` of people, `relief-fund/*` scopes of listed machine clients only,
 * and the edges of reading both), and whose money records a reader sees.
 */
import { describe, expect, it } from 'vitest';
import { isRole, payerScope, rolesFromClaims, ROLES } from '#shared/domain/roles';

/** The machine clients (client-credentials app clients) this deployment lists. */
const MACHINE_CLIENTS = ['finance-client-1', 'ledger-client-2'];

/** A Cognito client-credentials access token, as API Gateway hands its claims over (every value a string). */
const machineToken = (claims: Record<string, unknown> = {}) => ({
  sub: 'finance-client-1',
  token_use: 'access',
  client_id: 'finance-client-1',
  scope: 'relief-fund/finance-system',
  ...claims,
});

describe('roles from JWT claims', () => {
  it('reads cognito:groups as API Gateway flattens them ("[a b]") and as arrays', () => {
    expect(rolesFromClaims({ 'cognito:groups': '[fund-admin approver]' }, MACHINE_CLIENTS).sort()).toEqual(['approver', 'fund-admin']);
    expect(rolesFromClaims({ 'cognito:groups': ['auditor'] }, MACHINE_CLIENTS)).toEqual(['auditor']);
  });

  it('reads relief-fund/<role> scopes of machine clients and ignores other scopes', () => {
    expect(rolesFromClaims(machineToken({ scope: 'relief-fund/finance-system openid other/approver' }), MACHINE_CLIENTS)).toEqual([
      'finance-system',
    ]);
    expect(rolesFromClaims(machineToken({ client_id: 'ledger-client-2', scope: 'relief-fund/auditor' }), MACHINE_CLIENTS)).toEqual([
      'auditor',
    ]);
  });

  it('ignores unknown groups, so a made-up role grants nothing', () => {
    expect(
      rolesFromClaims({ 'cognito:groups': '[admin superuser]', ...machineToken({ scope: 'relief-fund/root' }) }, MACHINE_CLIENTS),
    ).toEqual([]);
  });

  describe('scope roles only from client-credentials access tokens of listed machine clients', () => {
    it("a person's ID token carrying relief-fund scopes gets no role from them", () => {
      const idToken = {
        sub: 'u-1',
        token_use: 'id',
        aud: 'people-client',
        'cognito:username': 'li.hua',
        scope: 'relief-fund/fund-admin relief-fund/approver',
      };
      expect(rolesFromClaims(idToken, MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims({ ...idToken, 'cognito:groups': '[requester]' }, MACHINE_CLIENTS)).toEqual(['requester']);
    });

    it("a person's access token (a user-facing client allowed the resource server's scopes) gets no role from them", () => {
      const accessToken = {
        sub: 'u-1',
        token_use: 'access',
        client_id: 'people-client',
        username: 'li.hua',
        scope: 'relief-fund/fund-admin',
      };
      expect(rolesFromClaims(accessToken, MACHINE_CLIENTS)).toEqual([]);
      // Even through a listed client id: a token that names a user is a person's.
      expect(rolesFromClaims({ ...accessToken, client_id: 'finance-client-1' }, MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims(machineToken({ 'cognito:username': 'li.hua' }), MACHINE_CLIENTS)).toEqual([]);
    });

    it('an access token of a client that is not listed, or a token that is not an access token, gets none', () => {
      expect(rolesFromClaims(machineToken({ client_id: 'someone-else' }), MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims(machineToken({ client_id: undefined }), MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims(machineToken({ token_use: 'id' }), MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims(machineToken({ token_use: undefined }), MACHINE_CLIENTS)).toEqual([]);
      expect(rolesFromClaims(machineToken(), [])).toEqual([]);
    });
  });
});

/** The claims of a listed machine client's access token (the only tokens whose scopes count), plus `extra`. */
const claimsOfMachine = (extra: Record<string, unknown>) =>
  rolesFromClaims({ token_use: 'access', client_id: 'machine-1', ...extra }, ['machine-1']);

const sorted = (roles: string[]) => [...roles].sort();

describe('roles from JWT claims: the edges of cognito:groups and scope', () => {
  it('the contract has exactly eight roles', () => {
    expect(sorted([...ROLES])).toEqual([
      'approver',
      'auditor',
      'campaign-operator',
      'finance-system',
      'fund-admin',
      'observer',
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

describe('whose money records a reader sees', () => {
  it('fund-admin, auditor, requester and approver read every fund; a caller with only finance-system its own', () => {
    for (const role of ['fund-admin', 'auditor', 'requester', 'approver'])
      expect(payerScope({ sub: 'x', roles: [role] }), role).toBeUndefined();
    expect(payerScope({ sub: 'ledger-bot', roles: ['finance-system'] })).toBe('ledger-bot');
    expect(payerScope({ sub: 'ledger-bot', roles: [] })).toBe('ledger-bot');
    expect(payerScope({ sub: 'ops', roles: ['finance-system', 'auditor'] })).toBeUndefined();
    expect(payerScope({ sub: 'ops', roles: ['campaign-operator', 'station-officer'] })).toBe('ops');
  });
});
