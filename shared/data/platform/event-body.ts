/**
 * The stored form of an event's body: brotli-compressed JSON in a binary attribute, so an event item
 * stays under 1 KB (see ./events.ts). No other imports: tests and scripts can read event items with it
 * without loading the SDK clients.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/** Quality 6: as small as 11 for bodies this size, at a thirtieth of the CPU. */
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } };

/** Any JSON-shaped object: the event's entity in its public form. */
export function packEventData(data: object): Uint8Array {
  return brotliCompressSync(JSON.stringify(data), BROTLI);
}

/** An event item's body (a plain map in items written before bodies were compressed). */
export function eventData(item: Record<string, unknown>): Record<string, unknown> {
  const data = item.data;
  if (data instanceof Uint8Array) return JSON.parse(brotliDecompressSync(data).toString('utf8')) as Record<string, unknown>;
  return (data as Record<string, unknown> | undefined) ?? {};
}
