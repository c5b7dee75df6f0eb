/**
 * An operation = its contract (zod schemas for params, query, body and responses, used for validation
 * AND for the OpenAPI document) + the function that serves it. Contracts live in shared/schemas/,
 * implementations in functions/http/<context>.ts.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../domain/errors.ts';
import type { IdempotencyClaim } from '../data/platform/idempotency-claims.ts';
import type { Principal } from '../domain/roles.ts';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  /** The OpenAPI document's example (test/unit/openapi-examples.test.ts parses it with `schema`). */
  example?: unknown;
  /** The same resource in other media types, chosen by the request's `Accept` (the half-year report: HTML, PDF). */
  alternatives?: { contentType: string; description: string }[];
}

export interface OperationContract<P = unknown, Q = unknown, B = unknown> {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** `form`: an HTML form's `application/x-www-form-urlencoded` body (fields as strings); default JSON. */
  bodyFormat?: 'json' | 'form';
  /** The OpenAPI document's request body example (parsed with `body` by test/unit/openapi-examples.test.ts). */
  bodyExample?: unknown;
  /**
   * The same body may come as `text/csv` too (a bank statement): `toBody` turns the text (and the query)
   * into the JSON body it stands for, which `body` then validates as if it had come as JSON.
   */
  csvBody?: { description: string; toBody(text: string, query: Record<string, string | undefined>): unknown };
  responses: Record<number, ResponseSpec>;
  /** Contract error codes this operation can answer beyond the common ones (401/403/400/413 …). */
  errors?: ErrorCode[];
  /** A path parameter that fails its schema: 404 (an id that cannot exist) unless it names a resource to create. */
  invalidParams?: 'not_found' | 'validation_failed';
}

export interface HttpRequest<P = unknown, Q = unknown, B = unknown> {
  principal: Principal;
  params: P;
  query: Q;
  body: B;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  correlationId: string;
  /** The time the request arrived; domain code takes it instead of reading the clock itself. */
  now: Date;
  /** The client's address as API Gateway saw it (not a header the client sets). Personal data: never logged or stored. */
  sourceIp?: string;
  /** With an Idempotency-Key: its keyed hashes, for a create to claim in its own transaction. */
  claim?: IdempotencyClaim;
}

export interface HttpReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A non-JSON body (the docs page, the reference script); sent as is with its own content-type header.
   * Bytes go out base64-encoded (`isBase64Encoded`), as API Gateway expects a binary body.
   */
  raw?: string | Buffer;
}

export interface Operation<P = unknown, Q = unknown, B = unknown> {
  contract: OperationContract<P, Q, B>;
  handle(request: HttpRequest<P, Q, B>): Promise<HttpReply>;
}

export function defineContract<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  contract: OperationContract<P, Q, B>,
): OperationContract<P, Q, B> {
  return contract;
}

export function implement<P, Q, B>(
  contract: OperationContract<P, Q, B>,
  handle: (request: HttpRequest<P, Q, B>) => Promise<HttpReply>,
): Operation {
  return { contract, handle };
}

export const ok = (body: unknown): HttpReply => ({ status: 200, body });
export const created = (body: unknown): HttpReply => ({ status: 201, body });
export const accepted = (body: unknown): HttpReply => ({ status: 202, body });
export const noContent = (): HttpReply => ({ status: 204 });
