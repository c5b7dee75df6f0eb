/**
 * The middy stack of the queue and scheduled functions: the invocation traced (a no-op outside
 * Lambda; the return value is not kept, it may name a person) and its business metrics flushed once
 * at the end, whether the handler returned or threw. HTTP functions get the same from shared/http/function.ts.
 */
import middy from '@middy/core';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { metricsFlush } from './metrics.ts';
import { tracer } from './tracing.ts';

export function instrumented<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(metricsFlush())
    .handler(handler);
}
