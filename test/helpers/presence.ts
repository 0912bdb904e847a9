/**
 * Helpers for the rules tests of the device-limit contract (docs/protocol.md). Every write here is
 * the exact multi-location update the protocol specifies, sent through the real `firebase` SDK that
 * `@firebase/rules-unit-testing` gives each context (one app, one socket per context).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { initializeTestEnvironment } from '@firebase/rules-unit-testing';
import { setLogLevel } from 'firebase/app';
import type { RulesTestContext, RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { emulatorAddress, freshNamespace } from './emulator';
import { parseJsoncValue } from '../../contract/src/merge/jsonc';

// Refused writes are what these tests expect; keep the SDK's "FIREBASE WARNING: … permission_denied" quiet.
setLogLevel('error');

/**
 * The rules under test: `database.rules.json`, or the file named by `RULES_UNDER_TEST` (used to
 * check that the suite fails on weakened copies of the rules).
 */
export const RULES_FILE = path.resolve(
  process.env.RULES_UNDER_TEST ?? path.resolve(__dirname, '../../database.rules.json'),
);

/** The compat `Database` a rules-unit-testing context hands out. */
export type Database = ReturnType<RulesTestContext['database']>;

/** Wire forms of the server values (docs/protocol.md §4): what `increment()`/`serverTimestamp()` send. */
export const serverTimestamp = (): object => ({ '.sv': 'timestamp' });
export const increment = (delta: number): object => ({ '.sv': { increment: delta } });

export interface DeviceEntry {
  claimedAt: number;
  lastSeen: number;
  generation: number;
  platform: string;
  label: string;
}

export interface PresenceState {
  count?: number;
  op?: string;
  generation?: number;
  notBefore?: number;
  devices?: Record<string, DeviceEntry>;
  evicted?: Record<string, { reason: string; at: number; generation: number }>;
}

/** Loads `database.rules.json` into a fresh namespace on the emulator named by the environment. */
export async function startRulesEnvironment(prefix = 'demo-rules'): Promise<RulesTestEnvironment> {
  const { host, port } = emulatorAddress();
  return initializeTestEnvironment({
    projectId: freshNamespace(prefix),
    database: { host, port, rules: readFileSync(RULES_FILE, 'utf8') },
  });
}

/** The default limit as the rules state it: the literal in `presence/$uid/count/.validate`. */
export function defaultLimitFromRules(rulesText = readFileSync(RULES_FILE, 'utf8')): number {
  // The rules file carries comments (it is generated with them), so plain JSON.parse would refuse it.
  const rules = parseJsoncValue(rulesText) as {
    rules: { presence: { $uid: { count: { '.validate': string } } } };
  };
  const validate = rules.rules.presence.$uid.count['.validate'];
  const match = /root\.child\('limits'\)\.child\(\$uid\)\.val\(\) : (\d+)\)/.exec(validate);
  if (!match?.[1]) throw new Error(`no default limit found in presence/$uid/count/.validate: ${validate}`);
  return Number(match[1]);
}

/** A valid, unique deviceId (`^[A-Za-z0-9_-]{8,64}$`). */
export function newDeviceId(tag = 'dev'): string {
  return `${tag}-${randomBytes(6).toString('hex')}`;
}

/** A unique uid, so tests in one file never share presence state. */
export function newUid(tag = 'user'): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

export interface DeviceInfo {
  platform: string;
  label: string;
}

export const WEB_DEVICE: DeviceInfo = { platform: 'web', label: 'Chrome on Linux' };

/**
 * docs/protocol.md §4.2: the core of the claim, relative to `/presence/{uid}`: the single-location form
 * a version 1 client sends, still valid (docs/protocol.md §9). The version 2 writes at the root, with `lastActive` and
 * the audit event, are built by test/rules/support.ts and by the client module itself.
 */
export function claimUpdate(deviceId: string, generation = 0, info: DeviceInfo = WEB_DEVICE): Record<string, unknown> {
  return {
    count: increment(1),
    op: deviceId,
    [`devices/${deviceId}`]: {
      claimedAt: serverTimestamp(),
      lastSeen: serverTimestamp(),
      generation,
      platform: info.platform,
      label: info.label,
    },
  };
}

/** docs/protocol.md §4.6: the core of the release (and the onDisconnect release), relative to `/presence/{uid}`. */
export function releaseUpdate(deviceId: string): Record<string, unknown> {
  return { count: increment(-1), op: deviceId, [`devices/${deviceId}`]: null };
}

export function presenceRef(db: Database, uid: string) {
  return db.ref(`presence/${uid}`);
}

export function claim(
  db: Database,
  uid: string,
  deviceId: string,
  generation = 0,
  info?: DeviceInfo,
): Promise<unknown> {
  return presenceRef(db, uid).update(claimUpdate(deviceId, generation, info));
}

export function release(db: Database, uid: string, deviceId: string): Promise<unknown> {
  return presenceRef(db, uid).update(releaseUpdate(deviceId));
}

/** Runs `fn` with an admin (`owner`) database that bypasses the rules, as the functions do. */
export async function asAdmin<T>(env: RulesTestEnvironment, fn: (db: Database) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await env.withSecurityRulesDisabled(async (context) => {
    result = await fn(context.database());
  });
  return result as T;
}

export function adminGet<T = unknown>(env: RulesTestEnvironment, at: string): Promise<T | null> {
  return asAdmin(env, async (db) => (await db.ref(at).get()).val() as T | null);
}

export function adminSet(env: RulesTestEnvironment, at: string, value: unknown): Promise<void> {
  return asAdmin(env, (db) => db.ref(at).set(value));
}

export function adminUpdate(env: RulesTestEnvironment, at: string, values: Record<string, unknown>): Promise<void> {
  return asAdmin(env, (db) => db.ref(at).update(values));
}

export async function presenceOf(env: RulesTestEnvironment, uid: string): Promise<PresenceState> {
  return (await adminGet<PresenceState>(env, `presence/${uid}`)) ?? {};
}

export function entryCount(state: PresenceState): number {
  return Object.keys(state.devices ?? {}).length;
}

/**
 * Evicts one device the way the server does (docs/protocol.md §5.2, signOutDevice): entry removed,
 * `count` recomputed from the remaining entries, `op` naming it, an eviction notice. Reads then
 * writes; the tests call it when no client is writing concurrently.
 */
export async function adminEvict(
  env: RulesTestEnvironment,
  uid: string,
  deviceId: string,
  reason = 'signed-out',
): Promise<void> {
  const state = await presenceOf(env, uid);
  const remaining = Object.keys(state.devices ?? {}).filter((id) => id !== deviceId).length;
  await adminUpdate(env, `presence/${uid}`, {
    count: remaining,
    op: deviceId,
    [`devices/${deviceId}`]: null,
    [`evicted/${deviceId}`]: { reason, at: Date.now(), generation: state.generation ?? 0 },
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Closes a context's socket and waits until the server has run that connection's onDisconnect
 * operations. A sentinel onDisconnect `set` is registered last on the same connection (on the
 * gated example path `/appData/{uid}`, which the owner may write); once it is visible, the server has
 * processed the disconnect. Requires no force-login cut-off for this session.
 */
export async function closeAndSettle(env: RulesTestEnvironment, db: Database, uid: string): Promise<void> {
  const sentinel = `appData/${uid}/disconnects/${randomBytes(4).toString('hex')}`;
  await db.ref(sentinel).onDisconnect().set(serverTimestamp());
  db.goOffline();
  const seen = await waitFor(async () => (await adminGet(env, sentinel)) !== null);
  if (!seen) throw new Error(`the server did not run the onDisconnect operations within 5 s (${sentinel})`);
  // The operations of one connection run together; leave a moment for any ordered after the sentinel.
  await new Promise((resolve) => setTimeout(resolve, 100));
}
