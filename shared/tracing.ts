/**
 * One Powertools Tracer per process. It switches itself off outside Lambda (no AWS_EXECUTION_ENV)
 * and when POWERTOOLS_TRACE_ENABLED=false, so the local runtime and the tests need no X-Ray daemon:
 * every helper here then just runs the work.
 *
 * HTTP calls are not patched globally: the SDK clients are captured one by one (shared/data/platform/clients.ts)
 * and the webhook POSTs get a subsegment of their own (`traceWebhookCall`) that names the receiver's
 * origin and the answer, never the path, the query or the body.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'relief-fund',
  captureHTTPsRequests: false,
});

/** What a traced webhook call reports back for its subsegment. */
export interface WebhookCallTrace {
  status: number | null;
  ok: boolean;
  durationMs: number;
}

/**
 * Runs one webhook POST inside a `webhook` subsegment of the invocation's segment. The parent stays
 * the current segment (the attempts of one event run concurrently), so nothing is nested under it.
 */
export async function traceWebhookCall<T extends WebhookCallTrace>(
  target: { endpointId: string; url: string; eventType: string },
  call: () => Promise<T>,
): Promise<T> {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return call();
  const subsegment = parent.addNewSubsegment('webhook');
  subsegment.namespace = 'remote';
  subsegment.addAnnotation('endpointId', target.endpointId);
  subsegment.addAnnotation('eventType', target.eventType);
  const result = await call().catch((error: unknown) => {
    subsegment.addError(error as Error);
    subsegment.close();
    throw error;
  });
  subsegment.addAttribute('http', {
    request: { method: 'POST', url: originOf(target.url) },
    response: { status: result.status ?? 0 },
  });
  if (!result.ok) subsegment.addErrorFlag();
  subsegment.close();
  return result;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}
