/** The one place errors become RFC 9457 problem+json responses. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ZodError } from 'zod';
import { DomainError, ERROR_STATUS, ERROR_TITLES, type ErrorCode, type FieldError } from '../domain/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: ErrorCode): string {
  return `urn:relief-fund:problem:${code}`;
}

export function problemBody(code: ErrorCode, detail?: string, errors?: FieldError[]) {
  return {
    type: problemType(code),
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail: detail ?? ERROR_TITLES[code],
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(error: DomainError): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: error.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problemBody(error.code, error.message, error.errors)),
  };
}

/** zod issues → `errors: [{ path, message }]`, paths in JSON-pointer-ish dotted form (`items.3.amount`). */
export function fieldErrors(error: ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path: path || '(root)', message };
  });
}
