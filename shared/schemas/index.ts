/**
 * Every operation contract, gathered for the OpenAPI document. Each context's schema module exports
 * its contracts; add a module here when a context is added (a test checks every route is covered).
 */
import type { OperationContract } from '../http/operation.ts';
import * as accessLog from './access-log.ts';
import * as batches from './batches.ts';
import * as campaigns from './campaigns.ts';
import * as corrections from './corrections.ts';
import * as counties from './counties.ts';
import * as disbursements from './disbursements.ts';
import * as events from './events.ts';
import * as funds from './funds.ts';
import * as notices from './notices.ts';
import * as payouts from './payouts.ts';
import * as progress from './progress.ts';
import * as snapshots from './snapshots.ts';
import * as publicRoutes from './public.ts';
import * as reconciliations from './reconciliations.ts';
import * as reports from './reports.ts';
import * as stations from './stations.ts';
import * as verifications from './verifications.ts';
import * as webhookEndpoints from './webhook-endpoints.ts';
import * as warningRules from './warning-rules.ts';

const modules: Record<string, unknown>[] = [
  publicRoutes,
  counties,
  funds,
  progress,
  snapshots,
  reports,
  disbursements,
  batches,
  payouts,
  corrections,
  webhookEndpoints,
  events,
  campaigns,
  stations,
  notices,
  reconciliations,
  accessLog,
  warningRules,
  verifications,
];

function isContract(value: unknown): value is OperationContract {
  return typeof value === 'object' && value !== null && 'operationId' in value && 'responses' in value;
}

export const contracts: ReadonlyMap<string, OperationContract> = new Map(
  modules.flatMap((m) => Object.values(m).filter(isContract)).map((c) => [c.operationId, c]),
);
