/**
 * The local stack that `npm start` runs (stack/src/stack.ts `LocalStack`), started by a test on free
 * ports for a fresh `demo-` project: our database emulator with database.rules.json loaded and its
 * triggers delivered, firebase-tools' Auth and Functions emulators running functions/, the scheduler,
 * and (with `demo`) the demo app served with its generated config.json. The tests use exactly what
 * users run; nothing here starts a service of its own.
 *
 * For the duration of the test file, FIREBASE_DATABASE_EMULATOR_HOST names the stack's database
 * emulator, so every helper that finds the database through it (emulatorAddress(), firebase-admin)
 * reaches the one the functions write to; `stop()` puts the previous value back.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildDemo, demoNeedsBuild, type DemoConfig } from '../../stack/src/demo';
import { LocalStack, type StackInfo } from '../../stack/src/stack';
import { emulatorAddress } from './emulator';

const REPO = path.resolve(__dirname, '../..');
const DEMO_DIR = path.join(REPO, 'demo');
const VITE_BIN = path.join(REPO, 'node_modules/vite/bin/vite.js');
/** Two test files may start stacks at once; one `vite build` of demo/ at a time. */
const BUILD_LOCK = path.join(tmpdir(), 'device-limit-demo-build.lock');
const BUILD_LOCK_STALE_MS = 180_000; /* 3 min: longer than any build */

export interface TestStack {
  readonly projectId: string;
  /** The project's default database instance, `<project>-default-rtdb`, as the functions use it. */
  readonly namespace: string;
  readonly databaseHost: string;
  readonly authHost: string;
  readonly functionsHost: string;
  /** `http://127.0.0.1:PORT/` of the demo app, when started with `demo`. */
  readonly demoUrl: string | null;
  /** The config.json the demo is served with. */
  readonly demoConfig: DemoConfig;
  readonly info: StackInfo;
  /** Everything the stack printed so far, for failure messages and artifacts. */
  output(): string;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Serve the demo app (built first when demo/ or the client package changed). */
  readonly demo?: boolean;
  readonly projectPrefix?: string;
}

async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUILD_LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      let age = 0;
      try {
        age = Date.now() - statSync(BUILD_LOCK).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > BUILD_LOCK_STALE_MS || Date.now() > deadline) rmdirSync(BUILD_LOCK);
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmdirSync(BUILD_LOCK);
  }
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const demo = options.demo === true;
  if (demo) {
    await withBuildLock(async () => {
      // What the launcher would do itself (stack/src/demo.ts), done here under the lock.
      if (demoNeedsBuild(DEMO_DIR)) await buildDemo(DEMO_DIR, VITE_BIN, () => undefined);
    });
  }
  let text = '';
  const io = { out: (line: string) => (text += `${line}\n`), log: (line: string) => (text += `${line}\n`) };
  const projectId = `${options.projectPrefix ?? 'demo-e2e'}-${randomBytes(3).toString('hex')}`;
  const stack = new LocalStack({ project: projectId, ports: 'auto', demo, help: false }, io);
  // If jest exits without running afterAll, the children must not outlive it.
  const killOnExit = () => stack.killNow();
  process.once('exit', killOnExit);
  let info: StackInfo;
  try {
    info = await stack.start();
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await stack.stop();
    throw new Error(`the local stack did not start: ${String(error)}\n${text}`, { cause: error });
  }
  const previousDatabase = process.env.FIREBASE_DATABASE_EMULATOR_HOST;
  const host = '127.0.0.1';
  const databaseHost = `${host}:${info.ports.database}`;
  process.env.FIREBASE_DATABASE_EMULATOR_HOST = databaseHost;
  // What the launcher generates for the demo (stack/src/stack.ts demoConfig), for Node clients of the test.
  const demoConfig: DemoConfig = {
    firebase: {
      apiKey: 'demo-api-key',
      projectId,
      authDomain: `${projectId}.firebaseapp.com`,
      databaseURL: `https://${info.namespace}.firebaseio.com`,
    },
    emulators: {
      auth: `${host}:${info.ports.auth}`,
      database: databaseHost,
      functions: `${host}:${info.ports.functions}`,
    },
  };
  return {
    projectId,
    namespace: info.namespace,
    databaseHost,
    authHost: demoConfig.emulators.auth,
    functionsHost: demoConfig.emulators.functions,
    demoUrl: info.demo ? `http://${host}:${info.ports.demo}/` : null,
    demoConfig,
    info,
    output: () => text,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stack.stop();
      if (previousDatabase === undefined) delete process.env.FIREBASE_DATABASE_EMULATOR_HOST;
      else process.env.FIREBASE_DATABASE_EMULATOR_HOST = previousDatabase;
    },
  };
}

/** Loads database.rules.json into `ns` (the stack already did for its instances; other namespaces need it). */
export async function loadRules(ns: string): Promise<void> {
  const response = await fetch(`http://${emulatorAddress().hostAndPort}/.settings/rules.json?ns=${ns}`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer owner' },
    body: readFileSync(path.join(REPO, 'database.rules.json'), 'utf8'),
  });
  if (!response.ok) throw new Error(`loading the rules failed: ${response.status} ${await response.text()}`);
}

/** An owner read over REST (rules bypassed) of the stack's database, for a test's own checks. */
export async function ownerGet(ns: string, at: string): Promise<unknown> {
  const response = await fetch(`http://${emulatorAddress().hostAndPort}/${at}.json?ns=${ns}`, {
    headers: { Authorization: 'Bearer owner' },
  });
  if (!response.ok) throw new Error(`GET ${at}: ${response.status} ${await response.text()}`);
  return (await response.json()) as unknown;
}

/** The old name, for suites written against test/e2e/stack.ts. */
export const startE2eStack = (options: TestStackOptions = {}): Promise<TestStack> => startTestStack(options);
export type E2eStack = TestStack;
