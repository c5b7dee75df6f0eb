/**
 * Preloaded into every Lambda worker process of the bench's concurrency section: counts the
 * TransactWriteItems attempts this process makes (each one the SDK sends, retries by shared/ included)
 * and how they ended, and reports the counts when the pool asks (local/lambda-worker.ts).
 */
import { dynamo } from '#shared/data/platform/clients';
import { REPORT_HOOK } from '#local/lambda-protocol';

export interface AttemptCounts {
  transactions: number;
  succeeded: number;
  /** A condition failed (TransactionCanceledException with ConditionalCheckFailed): another writer got in. */
  conditionFailed: number;
  /** DynamoDB cancelled for a concurrent transaction on the same item (TransactionConflict). */
  conflicted: number;
  otherFailures: number;
}

const counts: AttemptCounts = { transactions: 0, succeeded: 0, conditionFailed: 0, conflicted: 0, otherFailures: 0 };

dynamo.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
    counts.transactions++;
    try {
      const result = await next(args);
      counts.succeeded++;
      return result;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) counts.conditionFailed++;
      else if (reasons.some((r) => r.Code === 'TransactionConflict') || (error as Error).name === 'TransactionConflictException')
        counts.conflicted++;
      else counts.otherFailures++;
      throw error;
    }
  },
  { step: 'initialize', priority: 'low', name: 'benchAttemptsProbe' },
);

(globalThis as { [REPORT_HOOK]?: () => AttemptCounts })[REPORT_HOOK] = () => ({ ...counts });
