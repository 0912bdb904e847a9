/**
 * Which port each service listens on, and a clear error before anything starts when one is taken.
 *
 * Defaults are firebase-tools' own (`emulator/constants.js` DEFAULT_PORTS) unless `firebase.json`
 * names another; the demo app takes Vite's preview port. firebase-tools also starts a hub, a logging
 * endpoint, and the Eventarc and Cloud Tasks emulators beside the Functions emulator, so all of those
 * are fixed too: two stacks on one machine (a developer's and a test's) then never collide.
 */
import { createServer } from 'node:net';
import type { Service, StackArgs } from './args';

export const HOST = '127.0.0.1';

export type StackPorts = Readonly<Record<Service, number>>;

export const DEFAULT_PORTS: StackPorts = {
  database: 9000,
  auth: 9099,
  functions: 5001,
  demo: 4173,
  hub: 4400,
  logging: 4500,
  eventarc: 9299,
  tasks: 9499,
};

/** How to move a service elsewhere, said in every port error. */
function moveHint(service: Service): string {
  return `use --ports ${service}=<port> (or --ports auto)`;
}

export class PortInUseError extends Error {
  readonly code = 'port_in_use';
  constructor(
    readonly service: Service,
    readonly port: number,
    /** the other service given the same port, when that is the problem */
    readonly sharedWith?: Service,
  ) {
    super(
      sharedWith === undefined
        ? `Port ${port} (${service}) is already in use on ${HOST}: stop whatever listens there or ${moveHint(service)}.`
        : `Port ${port} is given to both ${sharedWith} and ${service}: ${moveHint(service)}.`,
    );
    this.name = 'PortInUseError';
  }
}

/**
 * The ports for this run: `auto` picks free ones; otherwise the defaults, then `firebase.json`'s
 * `emulators.<service>.port`, then the overrides.
 */
export async function resolvePorts(
  args: StackArgs['ports'],
  firebaseJson: unknown,
  skip: ReadonlySet<Service>,
): Promise<StackPorts> {
  const ports: Record<Service, number> = { ...DEFAULT_PORTS };
  if (args === 'auto') {
    const used = new Set<number>();
    for (const service of Object.keys(ports) as Service[]) {
      if (skip.has(service)) continue;
      let port = await freePort();
      while (used.has(port)) port = await freePort();
      used.add(port);
      ports[service] = port;
    }
    return ports;
  }
  const emulators = isRecord(firebaseJson) && isRecord(firebaseJson['emulators']) ? firebaseJson['emulators'] : {};
  for (const service of Object.keys(ports) as Service[]) {
    const configured = isRecord(emulators[service]) ? emulators[service]['port'] : undefined;
    if (typeof configured === 'number') ports[service] = configured;
    const override = args[service];
    if (override !== undefined) ports[service] = override;
  }
  return ports;
}

/** Fails with PortInUseError for the first taken port, before anything is started. */
export async function assertPortsFree(ports: StackPorts, skip: ReadonlySet<Service>): Promise<void> {
  const seen = new Map<number, Service>();
  for (const [service, port] of Object.entries(ports) as Array<[Service, number]>) {
    if (skip.has(service)) continue;
    const other = seen.get(port);
    if (other !== undefined) throw new PortInUseError(service, port, other);
    seen.set(port, service);
    if (!(await canListen(port))) throw new PortInUseError(service, port);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
