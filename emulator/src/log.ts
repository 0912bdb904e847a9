/**
 * The emulator's log. Lines go to a sink chosen by the host program (the CLI writes to stderr);
 * `quiet` (env RTDB_EMULATOR_QUIET=1) keeps warnings and denials and drops routine lines.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ServerLog {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** explain-denials output (always printed when enabled) */
  denial(line: string): void;
}

export function createServerLog(
  sink: ((line: string) => void) | undefined,
  options: { quiet: boolean; debug: boolean },
): ServerLog {
  const write = (prefix: string, line: string): void => {
    if (sink) sink(`${prefix}${line}`);
  };
  return {
    debug: (line) => {
      if (options.debug) write('[debug] ', line);
    },
    info: (line) => {
      if (!options.quiet) write('', line);
    },
    warn: (line) => write('[warn] ', line),
    error: (line) => write('[error] ', line),
    denial: (line) => write('[denied] ', line),
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
