/**
 * The demo's configuration is not baked into the bundle: it is read at start from `config.json`
 * beside `index.html`. Whoever serves the bundle writes that file, so one build points at any
 * project and any emulator ports — the launcher (`npm start`) at the ports of firebase.json, the
 * end-to-end test at emulators it started on free ports.
 */

/** `host:port`, the form of firebase-tools' FIREBASE_*_EMULATOR_HOST variables. */
export type EmulatorHost = string;

export interface DemoConfig {
  /** The web app's Firebase config (`initializeApp`); `databaseURL` names the database namespace. */
  readonly firebase: {
    readonly apiKey: string;
    readonly projectId: string;
    readonly databaseURL: string;
    readonly authDomain?: string;
    readonly appId?: string;
  };
  /**
   * The database instances users are spread over (docs/protocol.md §10), when there are several: the
   * session then runs on the user's instance. Absent: every user on `firebase.databaseURL`.
   */
  readonly databaseInstances?: readonly string[];
  /** Emulators to connect to; an absent entry means the production service. */
  readonly emulators: {
    readonly auth?: EmulatorHost;
    readonly database?: EmulatorHost;
    readonly functions?: EmulatorHost;
  };
  /** Where the callables are deployed (default `us-central1`, as in functions/). */
  readonly functionsRegion?: string;
}

export class DemoConfigError extends Error {
  readonly code = 'demo/config';
  constructor(message: string) {
    super(message);
    this.name = 'DemoConfigError';
  }
}

export const CONFIG_FILE = 'config.json';

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DemoConfigError(`${where} must be an object.`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, where: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new DemoConfigError(`${where} must be a non-empty string.`);
  return value;
}

function host(value: unknown, where: string): EmulatorHost | undefined {
  const hostAndPort = text(value, where, true);
  if (hostAndPort !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(hostAndPort)) {
    throw new DemoConfigError(`${where} must be "host:port", got "${hostAndPort}".`);
  }
  return hostAndPort;
}

/** Checks the parsed `config.json`, so a typo is reported on the page rather than as a failed request. */
export function parseDemoConfig(value: unknown): DemoConfig {
  const root = record(value, 'config.json');
  const firebase = record(root.firebase, 'config.json "firebase"');
  const emulators = root.emulators === undefined ? {} : record(root.emulators, 'config.json "emulators"');
  const authDomain = text(firebase.authDomain, 'firebase.authDomain', true);
  const appId = text(firebase.appId, 'firebase.appId', true);
  const auth = host(emulators.auth, 'emulators.auth');
  const database = host(emulators.database, 'emulators.database');
  const functions = host(emulators.functions, 'emulators.functions');
  const functionsRegion = text(root.functionsRegion, 'functionsRegion', true);
  const databaseInstances = instanceList(root.databaseInstances);
  return {
    firebase: {
      apiKey: text(firebase.apiKey, 'firebase.apiKey') as string,
      projectId: text(firebase.projectId, 'firebase.projectId') as string,
      databaseURL: text(firebase.databaseURL, 'firebase.databaseURL') as string,
      ...(authDomain === undefined ? {} : { authDomain }),
      ...(appId === undefined ? {} : { appId }),
    },
    emulators: {
      ...(auth === undefined ? {} : { auth }),
      ...(database === undefined ? {} : { database }),
      ...(functions === undefined ? {} : { functions }),
    },
    ...(databaseInstances === undefined ? {} : { databaseInstances }),
    ...(functionsRegion === undefined ? {} : { functionsRegion }),
  };
}

/** Instance names or database URLs; the client module checks them further when a session starts. */
function instanceList(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new DemoConfigError('databaseInstances must be a non-empty array of instance names.');
  }
  return value.map((entry, index) => text(entry, `databaseInstances[${index}]`) as string);
}

/** Splits `host:port` for connectDatabaseEmulator / connectFunctionsEmulator. */
export function splitHost(hostAndPort: EmulatorHost): { host: string; port: number } {
  const colon = hostAndPort.lastIndexOf(':');
  return { host: hostAndPort.slice(0, colon), port: Number(hostAndPort.slice(colon + 1)) };
}

export async function loadDemoConfig(base: string = document.baseURI): Promise<DemoConfig> {
  const url = new URL(CONFIG_FILE, base);
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (cause) {
    throw new DemoConfigError(`Could not fetch ${url.href}: ${String(cause)}`);
  }
  if (!response.ok) {
    throw new DemoConfigError(
      `${url.pathname} answered ${response.status}. Serve the demo with \`npm start\`, which writes its config.json.`,
    );
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new DemoConfigError(`${url.pathname} is not valid JSON.`);
  }
  return parseDemoConfig(json);
}
