/**
 * Function trigger delivery: the emulator posts every committed write that matches a 2nd
 * gen database trigger to firebase-tools' Functions emulator, as the official database emulator
 * does when firebase-tools starts it with `--functions_emulator_host/port` (docs/wire-protocol.md §13.2).
 */
import type { NamespaceRegistry } from '../database';
import { TriggerDelivery, type TriggerDeliveryOptions } from './delivery';
import type { FunctionsEmulatorAddress } from './directory';

export { TriggerDelivery, MAX_PENDING_EVENTS_PER_TRIGGER } from './delivery';
export { FunctionTriggerRegistry } from './registrations';
export type { TriggerDeliveryOptions } from './delivery';
export type { FunctionsEmulatorAddress, FunctionTriggerRegistration, TriggerLog } from './directory';
export { DATABASE_EVENT_TYPES, databaseCloudEvent, deltaBetween } from './cloud-event';
export type { DatabaseCloudEvent } from './cloud-event';

/** Starts delivering the writes of every namespace of `registry`; `stop()` the result to end it. */
export function attachTriggerDelivery(registry: NamespaceRegistry, options: TriggerDeliveryOptions): TriggerDelivery {
  return new TriggerDelivery(registry, options).attach();
}

export class FunctionsHostError extends Error {
  readonly code = 'invalid_functions_host';
  constructor(message: string) {
    super(message);
    this.name = 'FunctionsHostError';
  }
}

/**
 * `host:port` (or `[v6]:port`), the form of `--functions` and of firebase-tools'
 * FUNCTIONS_EMULATOR_HOST variable. Throws FunctionsHostError.
 */
export function parseFunctionsHost(text: string): FunctionsEmulatorAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FunctionsHostError(`expected host:port for the Functions emulator, got "${text}"`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}
