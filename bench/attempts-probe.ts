/**
 * Preloaded into every Lambda worker process of the bench's concurrency section: counts the
 * TransactWriteItems attempts this process makes (each one the SDK sends, retries by shared/ included)
 * and how they ended, and the takes of an allocation's turn (the lease on `LEASE#ALLOC#…`, shared/data/ledger/turn.ts):
 * how many were refused and how long writers waited for it, and reports the counts when the pool asks
 * (local/lambda-worker.ts).
 */
import { dynamo } from '#shared/data/platform/clients';
import { REPORT_HOOK } from '#local/lambda-protocol';
import { noAttempts, type AttemptCounts } from './attempt-counts.ts';

export type { AttemptCounts };

const counts: AttemptCounts = noAttempts();

/** A writer's first refused take of a turn, by the owner it names. */
const waitingSince = new Map<string, number>();

/** The owner a take of an allocation's turn names, or undefined for any other request (marshalled or not). */
function turnTake(commandName: string, input: unknown): string | undefined {
  if (commandName !== 'UpdateItemCommand') return undefined;
  const { Key, ExpressionAttributeValues } = input as { Key?: { pk?: unknown }; ExpressionAttributeValues?: Record<string, unknown> };
  const plain = (v: unknown) => (typeof v === 'object' && v !== null && 'S' in v ? (v as { S: string }).S : v);
  const pk = plain(Key?.pk);
  const owner = plain(ExpressionAttributeValues?.[':owner']);
  const until = ExpressionAttributeValues?.[':until'];
  return typeof pk === 'string' && pk.startsWith('LEASE#ALLOC#') && until !== undefined && typeof owner === 'string' ? owner : undefined;
}

dynamo.middlewareStack.add(
  (next, context) => async (args) => {
    const owner = turnTake(context.commandName ?? '', args.input);
    if (owner !== undefined) {
      counts.turnTakes++;
      const started = waitingSince.get(owner) ?? Date.now();
      try {
        const result = await next(args);
        counts.turnWaitMs += Date.now() - started;
        waitingSince.delete(owner);
        return result;
      } catch (error) {
        counts.turnRefused++;
        waitingSince.set(owner, started);
        throw error;
      }
    }
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
