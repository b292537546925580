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
