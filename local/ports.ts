/** Free-port lookup and the one clear "port in use" failure the CLI turns into a message and exit code 1. */
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    /** What wanted the port, in the words of the setting that chose it (`PORT`, `DYNAMODB_PORT` …). */
    readonly purpose: string,
  ) {
    super(`port ${port} (${purpose}) is already in use`);
    this.name = 'PortInUseError';
  }
}

/** Asks the kernel for a free port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Fails fast with PortInUseError when something already listens on `port`, before a child process
 * (Java) is started only to die with a bind error. Binding the wildcard address also collides with a
 * listener on 127.0.0.1 alone.
 */
export async function assertPortFree(port: number, purpose: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port, purpose) : error);
    });
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve()));
  });
}
