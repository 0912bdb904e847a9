/**
 * The app's own backend on the local stack, for the device-gate tests:
 * - firebase-tools' Auth and Functions emulators (the real `forceLogin` callable) and our database
 *   emulator with database.rules.json: the local stack `npm start` runs (test/helpers/local-stack.ts);
 * - devices: each its own `firebase` web app, signed in to the Auth emulator with email and password
 *   (real Auth-emulator ID tokens), holding a slot with `startDeviceSession`;
 * - the app's backend, in this process: an Express app with `deviceGate()` and an `onCall` function
 *   wrapped with `onDeviceCall`, both on the default firebase-admin app (as a deployed backend uses
 *   them), which verifies ID tokens against the Auth emulator (FIREBASE_AUTH_EMULATOR_HOST).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { deleteApp as deleteAdminApp, initializeApp as initializeAdminApp, type App } from 'firebase-admin/app';
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  inMemoryPersistence,
  initializeAuth,
  signInWithEmailAndPassword,
  signOut,
  type Auth,
  type User,
} from 'firebase/auth';
import { connectDatabaseEmulator, getDatabase } from 'firebase/database';
import { connectFunctionsEmulator, getFunctions, type Functions } from 'firebase/functions';
import { startDeviceSession, type DeviceSession } from '../../client-sdk/src';
import { deviceGate, onDeviceCall, type DeviceGateMiddleware } from '../../functions/src/gate';
import { emulatorAddress } from '../helpers/emulator';
import type { E2eStack } from '../helpers/local-stack';

export const PASSWORD = 'correct-horse-battery';

export interface Device {
  readonly name: string;
  readonly app: FirebaseApp;
  readonly auth: Auth;
  readonly user: User;
  readonly functions: Functions;
  readonly deviceId: string;
  readonly session: DeviceSession;
}

function hostAndPort(value: string): [string, number] {
  const colon = value.lastIndexOf(':');
  return [value.slice(0, colon), Number(value.slice(colon + 1))];
}

/** A device of `email`'s account: signs in (creating the account first if asked) and claims a slot. */
export async function openDevice(stack: E2eStack, name: string, email: string, create = false): Promise<Device> {
  const app = initializeApp(stack.demoConfig.firebase, `${name}-${randomBytes(4).toString('hex')}`);
  const auth = initializeAuth(app, { persistence: inMemoryPersistence });
  connectAuthEmulator(auth, `http://${stack.authHost}`, { disableWarnings: true });
  const credential = create
    ? await createUserWithEmailAndPassword(auth, email, PASSWORD)
    : await signInWithEmailAndPassword(auth, email, PASSWORD);
  const db = getDatabase(app);
  connectDatabaseEmulator(db, ...hostAndPort(emulatorAddress().hostAndPort));
  const functions = getFunctions(app);
  connectFunctionsEmulator(functions, ...hostAndPort(stack.functionsHost));
  const deviceId = `${name}-${randomBytes(6).toString('hex')}`;
  const session = startDeviceSession(db, credential.user, {
    platform: 'web',
    label: name,
    deviceId,
    tabs: false,
    lifecycle: 'manual',
  });
  return { name, app, auth, user: credential.user, functions, deviceId, session };
}

export async function closeDevice(device: Device): Promise<void> {
  device.session.close();
  // deleteApp leaves the user's proactive token refresh armed (auth's _delete only marks it deleted),
  // and its timer would keep jest alive for most of an hour; signing out stops it.
  await signOut(device.auth);
  await deleteApp(device.app);
}

export interface Backend {
  readonly url: string;
  readonly gate: DeviceGateMiddleware;
  /** The status of every response the backend sent, in order. */
  readonly statuses: number[];
  close(): Promise<void>;
}

/**
 * The app's backend: `GET /api/me` behind `deviceGate()`, and the callable `whoami` behind
 * `onDeviceCall`, mounted the way the Functions emulator serves a callable (POST, JSON body).
 */
export async function startBackend(stack: E2eStack): Promise<Backend> {
  process.env.FIREBASE_AUTH_EMULATOR_HOST = stack.authHost;
  const admin: App = initializeAdminApp({
    projectId: stack.projectId,
    databaseURL: `http://${emulatorAddress().hostAndPort}/?ns=${stack.namespace}`,
    // Never used against the emulators (they take "owner"), but keeps firebase-admin from looking for
    // application default credentials.
    credential: { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) },
  });
  const gate = deviceGate();
  const whoami = onDeviceCall({}, (_request, device) => ({ uid: device.uid, deviceId: device.deviceId }));
  const statuses: number[] = [];
  const app = express();
  app.use((_req, res, next) => {
    res.on('finish', () => statuses.push(res.statusCode));
    next();
  });
  app.get('/api/me', gate, (req, res) => {
    res.json({ uid: req.deviceLimit?.uid, deviceId: req.deviceLimit?.deviceId });
  });
  // firebase-functions' https handler takes its own Request type (with `rawBody`); express's is the same object.
  const serveWhoami = whoami as unknown as (req: express.Request, res: express.Response) => void;
  app.post('/whoami', express.json(), (req, res) => serveWhoami(req, res));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gate,
    statuses,
    async close() {
      gate.gate.close();
      whoami.gate.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deleteAdminApp(admin);
      delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    },
  };
}

/**
 * The same ID token with `iat`/`exp` an hour and more in the past: what a device whose clock runs
 * behind still holds and sends (its SDK believes the token valid), and what the server refuses as
 * expired (`auth/id-token-expired`). Auth-emulator tokens are unsigned (`alg: none`), so only the
 * claims change.
 */
export function expiredCopy(idToken: string): string {
  const [header, payload] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const expired = { ...claims, iat: now - 7200, exp: now - 3600 };
  return `${header}.${Buffer.from(JSON.stringify(expired)).toString('base64url')}.`;
}
