/** The DomainError a pure rule throws to refuse; fails the test when the rule accepts or throws anything else. */
import { expect } from 'vitest';
import { DomainError } from '#shared/domain/errors';

export function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}
