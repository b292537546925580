/**
 * The console's built files served by the local gateway at `/console`, from the API's own origin: the same
 * answers as the deployed console function (`runtime/console-files.ts`), except that the local stack has no
 * sign-in, so `/console/config.json` says `{ "auth": "none" }` and the app calls the API as it is.
 * @module
 */
import { consoleDir, consoleFile as serveConsoleFile, type ConsoleConfig } from '../runtime/console-files';

export { consoleDir } from '../runtime/console-files';

/** What the local stack's console is told: no sign-in (the local gateway has no authorizer). */
export const LOCAL_CONSOLE_CONFIG: ConsoleConfig = { auth: 'none' };

/** A file of the console for a request path under `/console`, or undefined when the path is not the console's. */
export function consoleFile(urlPath: string, dir = consoleDir()): { status: number; type: string; body: Buffer | string } | undefined {
  const file = serveConsoleFile(urlPath, dir, LOCAL_CONSOLE_CONFIG);
  return file && { status: file.status, type: file.type, body: file.body };
}
