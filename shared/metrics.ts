/**
 * Business metrics as CloudWatch EMF lines (Powertools Metrics): the data and webhook code reports
 * what happened through the few functions below, and every handler flushes once per invocation
 * (`metricsFlush()` in each function's middy stack). Locally the same lines
 * appear in the structured log output, one JSON object each.
 *
 * Reporting never fails the work it reports on: a metric that cannot be stored is logged and dropped.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import type { MiddlewareObj } from '@middy/core';
import { logger } from './logger.ts';
import { BUSINESS_METRICS, METRICS_NAMESPACE, METRICS_SERVICE, type BusinessMetric } from './metric-names.ts';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: METRICS_SERVICE,
  logger,
});

function add(name: BusinessMetric, unit: Unit, value: number): void {
  try {
    metrics.addMetric(name, unit, value);
  } catch (error) {
    logger.warn('metric dropped', { metric: name, error: (error as Error).message });
  }
}

const count = (name: BusinessMetric, n = 1) => add(name, MetricUnit.Count, n);

/** What the fund's code reports; each call is one fact that just committed. */
export const report = {
  disbursementApproved: () => {
    count(BUSINESS_METRICS.disbursementApproved);
    count(BUSINESS_METRICS.payoutQueued);
  },
  payoutsQueued: (n: number) => count(BUSINESS_METRICS.payoutQueued, n),
  payoutSent: () => count(BUSINESS_METRICS.payoutSent),
  payoutSettled: (outcome: 'settled' | 'failed') =>
    count(outcome === 'settled' ? BUSINESS_METRICS.payoutSettled : BUSINESS_METRICS.payoutFailed),
  payoutDeliveryFailed: () => count(BUSINESS_METRICS.payoutDeliveryFailed),
  deliveryAttempt: (attempt: { ok: boolean; durationMs: number }) => {
    count(BUSINESS_METRICS.deliveryAttempts);
    if (!attempt.ok) count(BUSINESS_METRICS.deliveryAttemptsFailed);
    add(BUSINESS_METRICS.deliveryLatency, MetricUnit.Milliseconds, attempt.durationMs);
  },
  webhookEndpointDisabled: () => count(BUSINESS_METRICS.webhookEndpointDisabled),
  /** Always reported, 0 included: a missing data point then means the check did not run. */
  ledgerDifferences: (n: number) => count(BUSINESS_METRICS.ledgerDifferences, n),
};

/** Writes the invocation's metrics, if it has any (an empty flush would only log a warning). */
export function flushMetrics(): void {
  try {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  } catch (error) {
    logger.warn('metrics flush failed', { error: (error as Error).message });
  }
}

/** The middy step that flushes after the handler, on success and on error alike. */
export function metricsFlush(): MiddlewareObj {
  return { after: flushMetrics, onError: flushMetrics };
}
