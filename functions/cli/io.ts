/**
 * What the CLI touches outside itself (streams, environment, fetch), so tests run it in-process.
 * @module
 */
import picocolors from 'picocolors';
import type { Colors } from 'picocolors/types';

/** A stream the CLI writes to. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

/** The CLI's surroundings. */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  /** fetch for the SDK (tests). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Clock (tests). @default Date.now */
  now?: () => number;
  /** Reads a file or `-` (stdin). @default fs.readFileSync */
  readFile?: (path: string) => string;
}

/** Exit codes of the CLI. */
export const EXIT = {
  ok: 0,
  /** API errors, failed or discarded jobs, bad spec files. */
  failed: 1,
  /** Usage errors (commander), and `wait` timing out. */
  usage: 2,
  timeout: 2,
} as const;

/** Ends a command with an exit code (and optionally a message on stderr). */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** A CLI error printed as `error CODE: message` (exit 1). */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function colorsFor(stream: OutStream, env: Record<string, string | undefined>): Colors {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return picocolors.createColors(Boolean(stream.isTTY) && !noColor);
}

export type { Colors };
