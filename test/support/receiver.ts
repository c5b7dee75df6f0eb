/**
 * A real webhook receiver on a free local port: records every request and answers as the test says
 * (status, headers, body, delay), so delivery, retries and signatures are tested over real HTTP.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body text, exactly as signed. */
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  receivedAt: Date;
}

export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
  /** The answer waits until this settles (requests held open together, e.g. until a second one arrives). */
  after?: Promise<unknown>;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves with the requests once `count` have arrived; rejects after timeoutMs. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  stop(): Promise<void>;
}

export async function startReceiver(options: { respond?: (req: ReceivedRequest, n: number) => ReceiverReply } = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body === '' ? undefined : JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received: ReceivedRequest = {
        method: req.method ?? 'POST',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        receivedAt: new Date(),
      };
      requests.push(received);
      const reply = options.respond?.(received, requests.length) ?? { status: 200 };
      for (const wake of waiters) wake();
      const send = () => {
        if (res.destroyed) return;
        const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...(typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {}),
          ...reply.headers,
        });
        res.end(text);
      };
      if (reply.after) void reply.after.then(send, send);
      else if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(requests.slice(0, count));
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
