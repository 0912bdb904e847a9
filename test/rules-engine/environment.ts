/**
 * A rules-unit-testing environment on a fresh project id per test file (`demo-rules-xxxx`), with the
 * given rules, against the emulator named by FIREBASE_DATABASE_EMULATOR_HOST — ours or the official one.
 */
import { initializeTestEnvironment } from '@firebase/rules-unit-testing';
import type { RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { emulatorAddress, freshNamespace } from '../helpers/emulator';

export async function rulesEnvironment(rules: object | string): Promise<RulesTestEnvironment> {
  const { host, port } = emulatorAddress();
  return initializeTestEnvironment({
    projectId: freshNamespace('demo-rules'),
    database: { host, port, rules: typeof rules === 'string' ? rules : JSON.stringify({ rules }) },
  });
}

/** Reads a value bypassing rules, as an admin would. */
export async function readAsOwner(env: RulesTestEnvironment, path: string): Promise<unknown> {
  let value: unknown;
  await env.withSecurityRulesDisabled(async (context) => {
    value = (await context.database().ref(path).get()).val();
  });
  return value;
}

/** Writes a value bypassing rules. */
export async function setAsOwner(env: RulesTestEnvironment, path: string, value: unknown): Promise<void> {
  await env.withSecurityRulesDisabled(async (context) => {
    await context.database().ref(path).set(value);
  });
}
