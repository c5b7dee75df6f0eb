/**
 * The access log (API.md, "Where the money stands"): every request an `observer` makes, `{ at, actor, method, path,
 * status }`, written in the same request before its response goes out, and kept at least 2 years.
 */

export interface AccessEntry {
  /** When the request arrived (RFC 3339, UTC). */
  at: string;
  /** The observer's `sub`. */
  actor: string;
  method: string;
  /** The request path as called, without its query string. */
  path: string;
  /** The status of the response the observer got. */
  status: number;
}

/**
 * How long an entry is kept: DynamoDB's TTL removes it some time after this, never before. Two years are at most
 * 731 days; a month more leaves room for a review that starts near the end.
 */
export const ACCESS_LOG_KEEP_DAYS = 731 + 30;

/** Longest path kept: API Gateway takes URLs of up to 8 KB; a path longer than this is kept cut, marked with `…`. */
export const ACCESS_PATH_MAX = 1024;

export function accessPath(rawPath: string): string {
  return rawPath.length <= ACCESS_PATH_MAX ? rawPath : `${rawPath.slice(0, ACCESS_PATH_MAX - 1)}…`;
}

/** Epoch seconds at which DynamoDB may remove the entry taken at `at`. */
export function accessExpiresAt(at: Date): number {
  return Math.floor(at.getTime() / 1000) + ACCESS_LOG_KEEP_DAYS * 24 * 60 * 60;
}
