/**
 * Opaque, tamper-evident list cursors: the DynamoDB LastEvaluatedKey, bound to the query it came
 * from and signed with HMAC-SHA256. A forged or edited cursor, or one replayed against another
 * query, is a 400 rather than a read of someone else's data.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { appSecrets } from '../../secrets.ts';

type Key = Record<string, unknown>;

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** `scope` names the query (route + filters) the cursor may continue. */
export async function encodeCursor(lastKey: Key | undefined, scope: string): Promise<string | null> {
  if (!lastKey) return null;
  const { cursorKey } = await appSecrets();
  const payload = Buffer.from(JSON.stringify({ k: lastKey, s: scope })).toString('base64url');
  return `${payload}.${sign(cursorKey, payload)}`;
}

/** The 400 for a cursor that was not issued for this query (or whose content makes no sense to it). */
export function invalidCursor(): DomainError {
  return new DomainError('validation_failed', 'The cursor is not valid for this query', [{ path: 'cursor', message: 'invalid cursor' }]);
}

export async function decodeCursor(cursor: string | undefined, scope: string): Promise<Key | undefined> {
  if (cursor === undefined) return undefined;
  const invalid = invalidCursor();
  const [payload, signature, extra] = cursor.split('.');
  if (!payload || !signature || extra !== undefined) throw invalid;
  const { cursorKey } = await appSecrets();
  const expected = Buffer.from(sign(cursorKey, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
  try {
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: Key; s?: string };
    if (decoded.s !== scope || typeof decoded.k !== 'object' || decoded.k === null) throw invalid;
    return decoded.k;
  } catch {
    throw invalid;
  }
}
