/**
 * AWS's published on-demand prices and the billing rules the capacity figures follow. Pure: the
 * meter (./meter.ts) records what the SDK reported, this file turns it into what AWS would bill.
 */

/**
 * us-east-1 (N. Virginia) list prices, USD, as published on the AWS pricing pages on 2025-07-01
 * (DynamoDB after the November 2024 on-demand price cut). Free tiers are ignored: a fund at scale is past them.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025-07-01',
  /** DynamoDB on-demand, Standard table class. */
  dynamoWriteRequestUnitPerMillion: 0.625,
  dynamoReadRequestUnitPerMillion: 0.125,
  /** SQS standard queue, per request (every 64 KiB chunk of a payload is one request). */
  sqsRequestPerMillion: 0.4,
  /** Lambda on Arm (Graviton), first pricing tier. */
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  /** API Gateway HTTP API, first 300 million requests a month, per 512 KiB of request. */
  httpApiRequestPerMillion: 1.0,
} as const;

export type TransactItemKind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';

/**
 * AWS's rule for TransactWriteItems: every written item costs two write units per KB (prepare and
 * commit), every ConditionCheck two read units per 4 KB. Index writes are not part of the two phases
 * (indexes are updated afterwards, like after any write), so they are billed once. Whether the store
 * already doubled what it reports (DynamoDB Local 2026 does, older ones did not) is measured once per
 * run (`storeDoubles`, see Meter.calibrate); ConditionChecks are added as reads (Local reports none).
 */
export function transactionCapacity(
  reported: { tableUnits: number; indexUnits: number },
  kinds: readonly TransactItemKind[],
  storeDoubles: boolean,
): { writeUnits: number; readUnits: number; indexWriteUnits: number } {
  const checks = kinds.filter((k) => k === 'ConditionCheck').length;
  const tableUnits = storeDoubles ? reported.tableUnits : 2 * reported.tableUnits;
  const indexWriteUnits = storeDoubles ? reported.indexUnits / 2 : reported.indexUnits;
  return { writeUnits: tableUnits + indexWriteUnits, readUnits: 2 * checks, indexWriteUnits };
}

/** Everything one disbursement lifecycle (create → approve → deliver → settle) used, on average. */
export interface LifecycleUsage {
  writeUnits: number;
  readUnits: number;
  sqsRequests: number;
  lambdaInvocations: number;
  /** Billed Lambda compute: each invocation's duration rounded up to the ms × memory in GB. */
  lambdaGbSeconds: number;
  httpApiRequests: number;
}

export interface CostBreakdown {
  dynamodb: number;
  sqs: number;
  lambda: number;
  /** The part of `lambda` billed for duration (GB-s), the one figure the bench's wall time decides. */
  lambdaCompute: number;
  httpApi: number;
  total: number;
}

/** USD per million lifecycles: a price per million units × units per lifecycle. */
export function usdPerMillion(usage: LifecycleUsage, prices: typeof PRICES = PRICES): CostBreakdown {
  const dynamodb = usage.writeUnits * prices.dynamoWriteRequestUnitPerMillion + usage.readUnits * prices.dynamoReadRequestUnitPerMillion;
  const sqs = usage.sqsRequests * prices.sqsRequestPerMillion;
  const lambdaCompute = usage.lambdaGbSeconds * 1_000_000 * prices.lambdaArmGbSecond;
  const lambda = usage.lambdaInvocations * prices.lambdaRequestPerMillion + lambdaCompute;
  const httpApi = usage.httpApiRequests * prices.httpApiRequestPerMillion;
  return { dynamodb, sqs, lambda, lambdaCompute, httpApi, total: dynamodb + sqs + lambda + httpApi };
}

/** Lambda bills duration per started millisecond of the configured memory. */
export function billedGbSeconds(durationMs: number, memoryMb: number): number {
  return (Math.ceil(Math.max(0, durationMs)) / 1000) * (memoryMb / 1024);
}
