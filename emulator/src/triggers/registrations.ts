/**
 * The database triggers firebase-tools' Functions emulator registers with `POST
 * /.settings/functionTriggers.json` (docs/wire-protocol.md §13.1), kept for delivery (`./directory.ts`
 * reads them beside the triggers it discovers) and listed by `GET` on the same path.
 */
import type { FunctionTriggerRegistration, TriggerLog } from './directory';

export class FunctionTriggerRegistry {
  private readonly triggers: FunctionTriggerRegistration[] = [];

  constructor(private readonly log: TriggerLog) {}

  add(trigger: FunctionTriggerRegistration): void {
    // firebase-tools only ever adds triggers (docs/wire-protocol.md §13.1): a re-registration of the
    // same name replaces it.
    const index = this.triggers.findIndex((t) => t.name === trigger.name && t.namespace === trigger.namespace);
    if (index >= 0) this.triggers.splice(index, 1, trigger);
    else this.triggers.push(trigger);
    this.log.info(`function trigger registered: ${trigger.name} on ${trigger.path}`);
  }

  list(): readonly FunctionTriggerRegistration[] {
    return this.triggers;
  }
}
