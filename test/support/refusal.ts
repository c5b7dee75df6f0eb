/**
 * The DomainError a pure rule throws to refuse, read in the forms the unit tests compare: the error itself, its
 * code, or what it tells the caller. Anything a rule throws that is not a DomainError fails the test.
 */
import { expect } from 'vitest';
import { DomainError } from '#shared/domain/errors';

/** The rule's refusal, or undefined when it accepts. */
export function refusalIfAny(run: () => unknown): DomainError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
}

/** The rule's refusal; fails the test when the rule accepts. */
export function refusal(run: () => unknown): DomainError {
  const error = refusalIfAny(run);
  if (!error) throw new Error('expected a refusal');
  return error;
}

/** The refusal's code, or undefined when the rule accepts. */
export const codeOf = (run: () => unknown): string | undefined => refusalIfAny(run)?.code;

/** What the refusal tells its caller (code, message, and field errors when it has some), or undefined when the rule accepts. */
export function answerOf(run: () => unknown): { code: string; message: string; errors?: unknown } | undefined {
  const error = refusalIfAny(run);
  return error && { code: error.code, message: error.message, ...(error.errors ? { errors: error.errors } : {}) };
}
