import { httpFunction } from '#shared/http/function';
import { created, implement, noContent, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/funds';
import { createFund, getFund, getFundSettings, listAllocations, listFunds } from '#shared/data/funds/items';
import { setAllocation } from '#shared/data/funds/allocate';
import { listLedger } from '#shared/data/ledger/list';
import { notFound } from '#shared/domain/errors';
import { payerScope } from '#shared/domain/roles';
import * as progressContracts from '#shared/schemas/progress';
import { fundProgressAt } from '#shared/data/progress/read-progress';
import * as snapshotContracts from '#shared/schemas/snapshots';
import { getSnapshot, listSnapshots } from '#shared/data/snapshots/items';
import { takeSnapshot } from '#shared/data/snapshots/take';
import * as ruleContracts from '#shared/schemas/warning-rules';
import { getWarningRules, setWarningRules } from '#shared/data/warning-rules/set-rules';
import { blockAccounts } from '#shared/data/warning-rules/block';
import { listBlockedAccounts } from '#shared/data/warning-rules/list-blocked';
import { unblockAccount } from '#shared/data/warning-rules/unblock';

export const handler = httpFunction('funds', [
  implement(contracts.createFund, async ({ body, principal, correlationId, now, claim }) =>
    created(
      await createFund(
        {
          name: body.name,
          totalBudget: body.totalBudget,
          financeSystem: body.financeSystem,
          dualApprovalThreshold: body.dualApprovalThreshold ?? contracts.DEFAULT_DUAL_APPROVAL_THRESHOLD,
          noticePeriod: body.noticePeriod ?? contracts.DEFAULT_NOTICE_PERIOD,
          period: body.period,
          accountVerification: body.accountVerification,
        },
        { sub: principal.sub, correlationId },
        now,
        claim,
      ),
    ),
  ),
  implement(contracts.listFunds, async ({ query }) => ok(await listFunds(query))),
  implement(contracts.getFund, async ({ params }) => ok(await getFund(params.fundId))),
  implement(contracts.putAllocation, async ({ params, body, principal, correlationId, now }) =>
    ok(await setAllocation(params.fundId, params.countyCode, body.amount, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.listAllocations, async ({ params, query }) => ok(await listAllocations(params.fundId, query))),
  implement(contracts.getFundLedger, async ({ params, query, principal }) => {
    const fund = await getFundSettings(params.fundId);
    // A finance system reads the ledger of the funds it pays; any other fund does not exist for it.
    const scope = payerScope(principal);
    if (scope !== undefined && fund.financeSystem !== scope) throw notFound(`Fund ${params.fundId}`);
    return ok(await listLedger(params.fundId, query));
  }),
  implement(snapshotContracts.createSnapshot, async ({ params, body, now }) =>
    created(
      await takeSnapshot(params.fundId, body.month ? { kind: 'monthly', month: body.month } : { kind: 'on_demand', month: null }, now),
    ),
  ),
  implement(snapshotContracts.listSnapshots, async ({ params, query }) => ok(await listSnapshots(params.fundId, query))),
  implement(snapshotContracts.getSnapshot, async ({ params }) => ok(await getSnapshot(params.fundId, params.snapshotId))),
  implement(progressContracts.getFundProgress, async ({ params, query, now }) => ok(await fundProgressAt(params.fundId, query.asOf, now))),
  implement(ruleContracts.putWarningRules, async ({ params, body, principal, correlationId, now }) =>
    ok(await setWarningRules(params.fundId, body.rules, { sub: principal.sub, correlationId }, now)),
  ),
  implement(ruleContracts.getWarningRules, async ({ params }) => ok(await getWarningRules(params.fundId))),
  implement(ruleContracts.addBlockedAccounts, async ({ params, body, principal, correlationId, now }) =>
    ok(await blockAccounts(params.fundId, body.accounts, { sub: principal.sub, correlationId }, now)),
  ),
  implement(ruleContracts.listBlockedAccounts, async ({ params, query }) => ok(await listBlockedAccounts(params.fundId, query))),
  implement(ruleContracts.deleteBlockedAccount, async ({ params, principal, correlationId, now }) => {
    await unblockAccount(params.fundId, params.entryId, { sub: principal.sub, correlationId }, now);
    return noContent();
  }),
]);
