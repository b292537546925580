import { createServer } from 'node:net';

/**
 * Asks the operating system for a currently unused TCP port on 127.0.0.1.
 *
 * The port is found by listening on port 0 (the kernel picks a free ephemeral
 * port), reading the assigned port and closing the listener again. There is an
 * unavoidable window between closing and the caller binding the port in which
 * another process could grab it; callers that start external processes on the
 * port (DynamoDB Local) therefore retry with a new port if the bind fails.
 *
 * @returns A port number that was free at the time of the call.
 */
export function getFreePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    // The probe listener must never keep the process alive on its own.
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('getFreePort: listener has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Checks that `port` can be listened on at `host` right now, so a busy port is found before anything slow (the
 * JVM of DynamoDB Local) starts. Rejects with the listen error (`code` `EADDRINUSE`, `EACCES`, with `port`).
 * @example
 * await assertPortFree(3000); // rejects with code EADDRINUSE while another server holds 127.0.0.1:3000
 */
export function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => server.close((err) => (err ? reject(err) : resolve())));
  });
}
