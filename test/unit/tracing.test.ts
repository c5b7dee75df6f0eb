/**
 * Locally and in tests there is no X-Ray daemon: the Tracer is off, and tracing a webhook call
 * must neither need a segment nor change what the call returns or throws.
 */
import { describe, expect, it } from 'vitest';
import { tracer, traceWebhookCall } from '#shared/tracing';

const target = { endpointId: 'whe_1', url: 'https://receiver.example/hooks?token=x', eventType: 'payout.requested' };

describe('tracing outside Lambda', () => {
  it('is off without AWS_EXECUTION_ENV', () => {
    expect(process.env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(tracer.isTracingEnabled()).toBe(false);
  });

  it('runs the webhook call as it is and passes its result and its error through', async () => {
    const result = { ok: false, status: 503, durationMs: 7 };
    await expect(traceWebhookCall(target, async () => result)).resolves.toBe(result);
    await expect(traceWebhookCall(target, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
