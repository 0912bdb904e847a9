/**
 * The Functions emulator's `GET /backends` (firebase-tools `functionsEmulator.js` `listBackendsRoute`):
 * every loaded function definition, with its `eventTrigger` or `schedule`. The launcher reads it for
 * the banner and the scheduler; the database emulator reads it to deliver triggers (emulator/src/triggers).
 */
import { schedulePeriodMs } from './schedule';

export interface ScheduledFunction {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly schedule: string;
  readonly periodMs: number | null;
}

export interface DatabaseTriggerInfo {
  readonly name: string;
  readonly ref: string;
  readonly eventType: string;
}

export async function fetchBackends(functionsOrigin: string): Promise<unknown> {
  const response = await fetch(`${functionsOrigin}/backends`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${functionsOrigin}/backends answered ${response.status}`);
  return (await response.json()) as unknown;
}

function definitions(body: unknown): Array<Record<string, unknown>> {
  const backends = isRecord(body) && Array.isArray(body['backends']) ? body['backends'] : [];
  return backends.flatMap((backend: unknown) =>
    isRecord(backend) && Array.isArray(backend['functionTriggers']) ? backend['functionTriggers'].filter(isRecord) : [],
  );
}

/** Definitions with a `schedule` (scheduled functions). */
export function scheduledFunctions(body: unknown): ScheduledFunction[] {
  const result: ScheduledFunction[] = [];
  for (const definition of definitions(body)) {
    if (!isRecord(definition['schedule']) || typeof definition['id'] !== 'string') continue;
    const schedule = definition['schedule']['schedule'];
    if (typeof schedule !== 'string') continue;
    result.push({
      id: definition['id'],
      name: typeof definition['name'] === 'string' ? definition['name'] : definition['id'],
      region: typeof definition['region'] === 'string' ? definition['region'] : 'us-central1',
      schedule,
      periodMs: schedulePeriodMs(schedule),
    });
  }
  return result;
}

/** Definitions triggered by Realtime Database events. */
export function databaseTriggers(body: unknown): DatabaseTriggerInfo[] {
  const result: DatabaseTriggerInfo[] = [];
  for (const definition of definitions(body)) {
    const trigger = definition['eventTrigger'];
    if (!isRecord(trigger) || typeof trigger['eventType'] !== 'string') continue;
    if (!trigger['eventType'].startsWith('google.firebase.database.')) continue;
    const patterns = isRecord(trigger['eventFilterPathPatterns']) ? trigger['eventFilterPathPatterns'] : {};
    result.push({
      name: typeof definition['name'] === 'string' ? definition['name'] : String(definition['id']),
      ref: typeof patterns['ref'] === 'string' ? `/${patterns['ref'].replace(/^\//, '')}` : '?',
      eventType: trigger['eventType'].replace('google.firebase.database.ref.v1.', ''),
    });
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
