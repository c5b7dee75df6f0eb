/**
 * The business metrics' names, namespace and dimension: read by the functions that emit them
 * (shared/metrics.ts) and by the CDK app that alarms on them and charts them, so the two cannot drift.
 */
export const METRICS_NAMESPACE = 'ReliefFund';
/** Powertools adds `service` to every metric; the alarms and the dashboard select on it. */
export const METRICS_SERVICE = 'relief-fund';

export const BUSINESS_METRICS = {
  /** A disbursement reached its required approvals (its payout is queued in the same transaction). */
  disbursementApproved: 'DisbursementApproved',
  /** Payouts created and queued: one per approved disbursement, one per expanded batch line. */
  payoutQueued: 'PayoutQueued',
  /** The paying finance system acknowledged the payment instruction. */
  payoutSent: 'PayoutSent',
  payoutSettled: 'PayoutSettled',
  payoutFailed: 'PayoutFailed',
  /** The webhook retries for a payment instruction ran out. */
  payoutDeliveryFailed: 'PayoutDeliveryFailed',
  deliveryAttempts: 'DeliveryAttempts',
  deliveryAttemptsFailed: 'DeliveryAttemptsFailed',
  /** Milliseconds from the URL check to the receiver's answer (or the timeout). */
  deliveryLatency: 'DeliveryLatency',
  /** A receiver answered 410 Gone, so its endpoint was disabled. */
  webhookEndpointDisabled: 'WebhookEndpointDisabled',
  /** Differences the ledger check found between the ledger and the allocations (0 when the books agree). */
  ledgerDifferences: 'LedgerDifferences',
} as const;

export type BusinessMetric = (typeof BUSINESS_METRICS)[keyof typeof BUSINESS_METRICS];
