/** What bench/attempts-probe.ts counts in each worker process, without the probe's hooks: safe to import anywhere. */
export interface AttemptCounts {
  transactions: number;
  succeeded: number;
  /** A condition failed (TransactionCanceledException with ConditionalCheckFailed): another writer got in. */
  conditionFailed: number;
  /** DynamoDB cancelled for a concurrent transaction on the same item (TransactionConflict). */
  conflicted: number;
  otherFailures: number;
  /** Takes of an allocation's turn (conditional UpdateItem, 1 write unit each, a refused one too). */
  turnTakes: number;
  /** Takes refused because another writer held the turn. */
  turnRefused: number;
  /** Milliseconds from a writer's first take of a turn to the take that got it, summed. */
  turnWaitMs: number;
}

/** Every count at zero: what a worker starts from, and where the bench starts summing the workers' reports. */
export function noAttempts(): AttemptCounts {
  return {
    transactions: 0,
    succeeded: 0,
    conditionFailed: 0,
    conflicted: 0,
    otherFailures: 0,
    turnTakes: 0,
    turnRefused: 0,
    turnWaitMs: 0,
  };
}
