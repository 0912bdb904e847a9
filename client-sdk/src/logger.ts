/**
 * Nothing is logged unless the app passes a logger (issue 5). `console` fits as it is; so does any
 * object with some of these methods.
 */
export interface Logger {
  debug?(message: string, ...details: unknown[]): void;
  info?(message: string, ...details: unknown[]): void;
  warn?(message: string, ...details: unknown[]): void;
  error?(message: string, ...details: unknown[]): void;
}

export const SILENT_LOGGER: Logger = {};
