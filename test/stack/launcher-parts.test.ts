/**
 * The launcher's parts that need no emulator: argument parsing, schedules, the export-directory
 * layout shared with firebase-tools, the demo's static server, and the port checks.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseStackArgs, StackUsageError } from '../../stack/src/args';
import { databaseTriggers, scheduledFunctions } from '../../stack/src/backends';
import { databaseImportFile, writeDatabaseExport } from '../../stack/src/data';
import { serveDemo } from '../../stack/src/demo';
import { assertPortsFree, DEFAULT_PORTS, PortInUseError, resolvePorts } from '../../stack/src/ports';
import { schedulePeriodMs } from '../../stack/src/schedule';
import { stackInstances, StackInstancesError } from '../../stack/src/project-folder';
import { freePort } from '../helpers/ports';

describe('parseStackArgs', () => {
  it('reads the flags, firebase-tools style for --import/--export-on-exit', () => {
    expect(parseStackArgs(['--import', 'data', '--export-on-exit'], {})).toMatchObject({
      importDir: 'data',
      exportDir: 'data',
    });
    expect(parseStackArgs(['--export-on-exit=out', '--no-demo'], {})).toMatchObject({ exportDir: 'out', demo: false });
    expect(parseStackArgs(['--ports', 'database=19000,demo=18080'], {}).ports).toEqual({
      database: 19000,
      demo: 18080,
    });
    expect(parseStackArgs(['--ports', 'auto'], {}).ports).toBe('auto');
    expect(parseStackArgs(['--schedule-every', '2s'], {}).scheduleEveryMs).toBe(2000);
    expect(parseStackArgs([], { STACK_PORTS: 'auth=19099', STACK_SCHEDULE_EVERY: '1m' })).toMatchObject({
      ports: { auth: 19099 },
      scheduleEveryMs: 60_000,
    });
  });

  it.each([
    [['--export-on-exit'], /needs a directory/],
    [['--ports', 'db=1'], /service=port/],
    [['--ports', 'database=70000'], /service=port/],
    [['--schedule-every', 'soon'], /duration/],
    [['--project', 'Bad_Id'], /project id/],
    [['--frobnicate'], /Unknown option/],
    [['--instances', '0'], /--instances must be a whole number from 1 to 16/],
    [['--instances', '17'], /--instances/],
    [['--instances', '2.5'], /--instances/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseStackArgs(argv, {})).toThrow(StackUsageError);
    expect(() => parseStackArgs(argv, {})).toThrow(message);
  });
});

describe('--instances (docs/protocol.md §10)', () => {
  it('names the instances as production does: the default one, then presence-1 …', () => {
    expect(parseStackArgs(['--instances', '3'], {}).instances).toBe(3);
    expect(parseStackArgs([], {}).instances).toBeUndefined();
    expect(stackInstances('demo-x', 1)).toEqual(['demo-x-default-rtdb']);
    expect(stackInstances('demo-x', 3)).toEqual(['demo-x-default-rtdb', 'demo-x-presence-1', 'demo-x-presence-2']);
  });

  it('refuses a project whose instance names would not be valid', () => {
    expect(() => stackInstances(`demo-${'x'.repeat(50)}`, 2)).toThrow(StackInstancesError);
    expect(() => stackInstances('1-starts-with-a-digit', 1)).toThrow(/instance name/);
  });
});

describe('schedules', () => {
  it.each([
    ['every 5 minutes', 300_000],
    ['every 1 hours', 3_600_000],
    ['every 30 seconds', 30_000],
    ['* * * * *', 60_000],
    ['*/10 * * * *', 600_000],
    ['0 */2 * * *', 7_200_000],
    ['every monday 09:00', null],
    ['5 4 * * sun', null],
  ])('%s', (schedule, period) => expect(schedulePeriodMs(schedule)).toBe(period));

  it('reads scheduled functions and database triggers from /backends', () => {
    const body = {
      backends: [
        {
          functionTriggers: [
            {
              id: 'us-central1-sweep',
              name: 'sweep',
              region: 'us-central1',
              schedule: { schedule: 'every 15 minutes' },
              eventTrigger: { eventType: 'pubsub' },
            },
            {
              id: 'us-central1-enforce',
              name: 'enforce',
              eventTrigger: {
                eventType: 'google.firebase.database.ref.v1.written',
                eventFilterPathPatterns: { ref: 'limits/{uid}' },
              },
            },
            { id: 'us-central1-call', name: 'call', httpsTrigger: {} },
          ],
        },
      ],
    };
    expect(scheduledFunctions(body)).toEqual([
      {
        id: 'us-central1-sweep',
        name: 'sweep',
        region: 'us-central1',
        schedule: 'every 15 minutes',
        periodMs: 900_000,
      },
    ]);
    expect(databaseTriggers(body)).toEqual([{ name: 'enforce', ref: '/limits/{uid}', eventType: 'written' }]);
  });
});

describe('export directories in firebase-tools layout', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'stack-data-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file per namespace beside firebase-tools’ auth export, and reads them back', () => {
    const exportDir = path.join(dir, 'export');
    mkdirSync(path.join(exportDir, 'auth_export'), { recursive: true });
    writeFileSync(
      path.join(exportDir, 'firebase-export-metadata.json'),
      JSON.stringify({ version: '15', auth: { version: '15', path: 'auth_export' } }),
    );
    const emulatorExport = path.join(dir, 'database-export.json');
    const namespaces = {
      'demo-a-default-rtdb': { presence: { u1: { count: 1 } } },
      other: { x: { '.value': 1, '.priority': 2 } },
    };
    writeFileSync(emulatorExport, JSON.stringify({ '.namespaces': namespaces }));

    expect(writeDatabaseExport(emulatorExport, exportDir)).toBe(2);
    const metadata = JSON.parse(readFileSync(path.join(exportDir, 'firebase-export-metadata.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(metadata).toMatchObject({ auth: { path: 'auth_export' }, database: { path: 'database_export' } });
    expect(JSON.parse(readFileSync(path.join(exportDir, 'database_export/other.json'), 'utf8'))).toEqual(
      namespaces.other,
    );

    const importFile = path.join(dir, 'import.json');
    expect(databaseImportFile(exportDir, importFile)).toBe(true);
    expect(JSON.parse(readFileSync(importFile, 'utf8'))).toEqual({ '.namespaces': namespaces });
  });

  it('an export directory without a database part imports nothing', () => {
    expect(databaseImportFile(dir, path.join(dir, 'import.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'import.json'))).toBe(false);
  });
});

describe('the demo server', () => {
  let dir: string;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the build and the generated config.json, and nothing outside the build', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stack-demo-'));
    const dist = path.join(dir, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(path.join(dist, 'assets/app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'no');
    const config = {
      firebase: {
        apiKey: 'k',
        projectId: 'demo-x',
        databaseURL: 'https://demo-x-default-rtdb.firebaseio.com',
        authDomain: 'demo-x.firebaseapp.com',
      },
      emulators: { auth: '127.0.0.1:1', database: '127.0.0.1:2', functions: '127.0.0.1:3' },
    };
    const port = await freePort();
    server = (await serveDemo(dist, config, '127.0.0.1', port)) as unknown as Server;
    const get = (at: string) => fetch(`http://127.0.0.1:${port}${at}`);

    const index = await get('/');
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toContain('<title>demo</title>');
    expect((await get('/assets/app.js')).headers.get('content-type')).toMatch(/javascript/);
    expect(await (await get('/config.json')).json()).toEqual(config);
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
  });
});

describe('ports', () => {
  it('defaults follow firebase.json, overrides win, and a taken port is named with the way out', async () => {
    const ports = await resolvePorts({ demo: 18080 }, { emulators: { database: { port: 9100 } } }, new Set());
    expect(ports).toMatchObject({ ...DEFAULT_PORTS, database: 9100, demo: 18080 });

    const blocker = createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const all = { ...(await resolvePorts('auto', undefined, new Set())), auth: taken };
      const failure = assertPortsFree(all, new Set());
      await expect(failure).rejects.toThrow(PortInUseError);
      await expect(failure).rejects.toThrow(
        `Port ${taken} (auth) is already in use on 127.0.0.1: stop whatever listens there or use --ports auth=<port>`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
