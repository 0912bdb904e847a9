/** The data half of the emulator: no sockets, no HTTP (contract: the database API shared with `../server`). */
export * from './access';
export * from './node';
export * from './limits';
export * from './path';
export * from './ordering';
export * from './query';
export * from './hash';
export * from './server-values';
export * from './write';
export { type ListenHandle, type ListenSink } from './listens';
export * from './database';
export * from './on-disconnect';
export * from './namespaces';
export * from './export';
export * from './push-id';
