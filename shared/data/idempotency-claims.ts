/**
 * What the idempotency layer keeps of a call with an Idempotency-Key: keyed hashes only, HMAC-SHA256
 * under the app's idempotency key (shared/http/idempotency.ts computes them).
 */
export interface IdempotencyClaim {
  /** HMAC of [caller sub, Idempotency-Key]: the scope of the key. */
  keyHash: string;
  /** HMAC of [method, path, body]: what the key was first used for. */
  requestHash: string;
}
