/**
 * The temporary project folder firebase-tools runs from, and what the launcher hands each part:
 * - `firebase.json`, which points at this repository's functions/ and fixes every port (firebase-tools
 *   has no port flags, and resolves `functions.source` against the folder of the config file);
 * - `.env`, the functions' parameters (`configDir` points here), above all `PRESENCE_INSTANCES`, the
 *   database instances users are spread over (docs/protocol.md §10);
 * - the environment of firebase-tools, and the demo's `config.json`.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONFIG_NAMES, INSTANCE_NAME_PATTERN, configParamLines } from '@device-limit/contract';
import type { DemoConfig } from './demo';
import { HOST, type StackPorts } from './ports';

/** When firebase.json names none; the Node major that the root package.json's engines require. */
const DEFAULT_FUNCTIONS_RUNTIME = 'nodejs24';

export class StackInstancesError extends Error {
  readonly code = 'stack_instances';
  constructor(message: string) {
    super(message);
    this.name = 'StackInstancesError';
  }
}

/**
 * The database instances of an `--instances <n>` run, named as production names them: the default
 * instance `<project>-default-rtdb` first, then `<project>-presence-1` … `-<n-1>` (docs/scaling.md).
 * Each is a namespace of our emulator.
 */
export function stackInstances(project: string, count: number): string[] {
  const instances = [`${project}-default-rtdb`];
  for (let i = 1; i < count; i++) instances.push(`${project}-presence-${i}`);
  for (const instance of instances) {
    if (!INSTANCE_NAME_PATTERN.test(instance)) {
      throw new StackInstancesError(
        `"${instance}" is not a Realtime Database instance name (a letter first, at most 63 characters): ` +
          'use a shorter --project',
      );
    }
  }
  return instances;
}

/**
 * The functions' parameters (firebase-functions `defineString`), read by the Functions emulator from
 * the folder `configDir` names. Every parameter must have a value here: the emulator would otherwise
 * prompt for it, and save the answer into functions/ itself.
 */
export function writeFunctionsEnv(dir: string, instances: readonly string[]): void {
  writeFileSync(
    path.join(dir, '.env'),
    [
      '# Written by the local stack (stack/src/project-folder.ts) for this run only.',
      `PRESENCE_INSTANCES=${instances.join(',')}`,
      // No shard migration in a local run (docs/protocol.md §10.3): set, but empty.
      'PRESENCE_INSTANCES_EPOCH=',
      'PRESENCE_INSTANCES_PREVIOUS=',
      // The stack serves database.rules.json, generated with the contract's defaults: the same here.
      ...configParamLines(),
      '',
    ].join('\n'),
  );
}

/**
 * The runtime firebase.json deploys the functions on. The emulated functions run on the same one: the
 * Functions emulator runs them on its own Node when that Node's major is the runtime's, which is the
 * case when the stack runs on the Node that npm installed (docs/local-stack.md, "Node 24").
 */
export function functionsRuntime(firebaseJson: unknown): string {
  const functions = (firebaseJson as { functions?: unknown } | undefined)?.functions;
  const entries = (Array.isArray(functions) ? functions : [functions]) as Array<{
    codebase?: unknown;
    runtime?: unknown;
  }>;
  const runtime = entries.find((entry) => (entry?.codebase ?? 'default') === 'default')?.runtime;
  return typeof runtime === 'string' ? runtime : DEFAULT_FUNCTIONS_RUNTIME;
}

export function firebaseConfig(dir: string, functionsDir: string, runtime: string, ports: StackPorts): unknown {
  const at = (port: number) => ({ host: HOST, port });
  return {
    // Relative: firebase-tools joins `source` to the config's folder. firebase.json's own `source` is the
    // staged deploy folder; the emulator runs functions/ itself, so edits and rebuilds show at once.
    // `configDir`: the parameters come from this folder's .env (writeFunctionsEnv), not functions/.env.
    functions: [{ source: path.relative(dir, functionsDir), codebase: 'default', runtime, configDir: '.' }],
    emulators: {
      auth: at(ports.auth),
      functions: at(ports.functions),
      hub: at(ports.hub),
      logging: at(ports.logging),
      eventarc: at(ports.eventarc),
      tasks: at(ports.tasks),
      // The UI is a downloaded archive (no network here) and adds nothing to this stack.
      ui: { enabled: false },
      singleProjectMode: true,
    },
  };
}

export function firebaseEnv(databaseHost: string, namespace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The Functions emulator passes its environment to the functions, so firebase-admin inside them
  // uses our database (docs/local-stack.md). Other emulator variables a parent (a test runner) may
  // have set would point the functions elsewhere.
  env.FIREBASE_DATABASE_EMULATOR_HOST = databaseHost;
  // firebase-tools runs the emulated functions with its own Node (process.execPath, ours), but starts
  // firebase-functions' discovery bin through `#!/usr/bin/env node`, i.e. the first `node` on PATH.
  // Put ours first: a launcher started outside npm (`node stack/dist/cli.js`, with no node_modules/.bin
  // on PATH) would otherwise discover the functions on whatever Node the system has.
  env.PATH = [path.dirname(process.execPath), process.env.PATH].filter(Boolean).join(path.delimiter);
  // For a demo- project the Functions emulator gives the functions FIREBASE_CONFIG.databaseURL =
  // `https://<project>.firebaseio.com` (`adminSdkConfig.js` constructDefaultAdminSdkConfig), so the
  // callables and the sweep (`getDatabase()`) would use namespace `<project>`, while triggers follow
  // the event's instance. DATABASE_URL is the override it reads: name the project's default instance,
  // `<project>-default-rtdb`, as production does, so everything shares one namespace.
  env.DATABASE_URL = `https://${namespace}.firebaseio.com`;
  // There are no Google credentials on a developer's machine: without this, google-auth-library in
  // firebase-tools probes the GCE metadata server and prints a MetadataLookupWarning stack trace.
  env.METADATA_SERVER_DETECTION ??= 'none';
  for (const name of [
    'FIREBASE_AUTH_EMULATOR_HOST',
    'FUNCTIONS_EMULATOR_HOST',
    'FIRESTORE_EMULATOR_HOST',
    'FIREBASE_EMULATOR_HUB',
    'GCLOUD_PROJECT',
    'FIREBASE_CONFIG',
    // The .env of the generated folder is the one source of the functions' parameters.
    'PRESENCE_INSTANCES',
    'PRESENCE_INSTANCES_EPOCH',
    'PRESENCE_INSTANCES_PREVIOUS',
    ...Object.values(CONFIG_NAMES).map((names) => names.functionsParam),
  ]) {
    delete env[name];
  }
  return env;
}

export function demoConfig(project: string, instances: readonly string[], ports: StackPorts): DemoConfig {
  const namespace = instances[0] as string;
  return {
    firebase: {
      apiKey: 'demo-api-key',
      projectId: project,
      authDomain: `${project}.firebaseapp.com`,
      // The namespace the functions' default admin app uses (`<project>-default-rtdb`).
      databaseURL: `https://${namespace}.firebaseio.com`,
    },
    // Several instances: the demo starts its sessions with the list (client-sdk README, "Several
    // database instances"), as the functions' PRESENCE_INSTANCES names them.
    ...(instances.length > 1 ? { databaseInstances: [...instances] } : {}),
    emulators: {
      auth: `${HOST}:${ports.auth}`,
      database: `${HOST}:${ports.database}`,
      functions: `${HOST}:${ports.functions}`,
    },
  };
}
