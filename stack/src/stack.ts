/**
 * The local stack: our database emulator (with trigger delivery to the Functions emulator), firebase-tools'
 * Auth and Functions emulators, the rules watcher, the scheduler and the demo app, started in that
 * order and stopped together.
 *
 * firebase-tools runs from a temporary project folder (project-folder.ts) whose generated firebase.json
 * points at this repository's functions/ and fixes every port, and whose .env configures the functions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Service, StackArgs } from './args';
import { databaseTriggers, fetchBackends, type ScheduledFunction } from './backends';
import { ManagedChild, stripAnsi } from './child';
import { DataDirectoryError, databaseImportFile, writeDatabaseExport } from './data';
import { buildDemo, demoNeedsBuild, serveDemo } from './demo';
import { assertPortsFree, HOST, resolvePorts, type StackPorts } from './ports';
import {
  demoConfig,
  firebaseConfig,
  firebaseEnv,
  functionsRuntime,
  stackInstances,
  writeFunctionsEnv,
} from './project-folder';
import { RulesWatcher } from './rules-watcher';
import { FunctionScheduler } from './scheduler';

export const DEFAULT_PROJECT = 'demo-device-limit';
const DATABASE_READY = /^rtdb-emulator listening on /;
/** firebase-tools' line once every emulator listens (`emulator/controller.js`). */
const FIREBASE_READY = /All emulators ready/;
const DATABASE_START_MS = 20_000; /* 20 s */
/** firebase-tools takes 20-40 s to start and load the functions on a busy 2-core machine. */
const FIREBASE_START_MS = 120_000; /* 2 min */
const FIREBASE_STOP_MS = 20_000; /* 20 s: its export on exit happens inside this */
const DATABASE_STOP_MS = 10_000; /* 10 s */

/** firebase-tools lines that say nothing here, or the opposite of what happens in this stack. */
const FIREBASE_NOISE = [
  /^[┌│├└╔║╚]/, // its own banner table: ours replaces it
  /^Emulator Hub host:|^Other reserved ports:|^Issues\? Report them/,
  /function ignored because the (database|pubsub) emulator does not exist/, // we deliver those
  /Unable to fetch the CLI MOTD/, // offline by design
  /^Serving at port \d+$/, // firebase-functions' discovery server, gone once the functions are loaded
  /The Emulator UI is not starting/,
];

export interface StackIo {
  /** the banner and the launcher's own lines */
  readonly out: (line: string) => void;
  /** the children's log lines, already prefixed */
  readonly log: (line: string) => void;
}

export interface StackInfo {
  readonly project: string;
  /** The default instance's namespace. */
  readonly namespace: string;
  /** Every instance (namespace) users are spread over, the default one first (`--instances`). */
  readonly instances: readonly string[];
  readonly ports: StackPorts;
  readonly demo: boolean;
  readonly scheduled: readonly ScheduledFunction[];
  readonly triggers: ReadonlyArray<{ name: string; ref: string; eventType: string }>;
}

export class StackStartError extends Error {
  readonly code = 'stack_start_failed';
  constructor(message: string) {
    super(message);
    this.name = 'StackStartError';
  }
}

export class LocalStack {
  readonly root: string;
  private readonly tmp: string;
  private database: ManagedChild | undefined;
  private firebase: ManagedChild | undefined;
  private demoServer: Server | undefined;
  private watcher: RulesWatcher | undefined;
  private scheduler: FunctionScheduler | undefined;
  private exportFile: string | undefined;
  private exportDir: string | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly args: StackArgs,
    private readonly io: StackIo,
    root = path.resolve(__dirname, '../..'),
  ) {
    this.root = root;
    this.tmp = mkdtempSync(path.join(tmpdir(), 'device-limit-stack-'));
  }

  async start(): Promise<StackInfo> {
    const root = this.root;
    const emulatorCli = path.join(root, 'emulator/dist/cli.js');
    const firebaseBin = path.join(root, 'node_modules/firebase-tools/lib/bin/firebase.js');
    const functionsDir = path.join(root, 'functions');
    for (const [file, fix] of [
      [emulatorCli, 'npm run build'],
      [path.join(functionsDir, 'lib/index.js'), 'npm run build'],
      [firebaseBin, 'npm install'],
    ] as const) {
      if (!existsSync(file))
        throw new StackStartError(`${path.relative(root, file)} is missing: run \`${fix}\` first.`);
    }
    if (!resolvable('@google-cloud/firestore', functionsDir)) {
      // firebase-admin 14 lists @google-cloud/firestore@^9 as optional, and it needs Node >= 22, so an
      // `npm install` that itself ran on an older Node skips it; the Functions emulator's runtime loads
      // firebase-functions' main entry, which requires it, and then no function runs ("Cannot find
      // module '@google-cloud/firestore'").
      throw new StackStartError(
        `@google-cloud/firestore cannot be loaded from functions/; the root devDependency ` +
          '@google-cloud/firestore@^8 provides it whatever Node npm runs on: run `npm install`.',
      );
    }
    const rulesFile = path.resolve(root, this.args.rulesFile ?? 'database.rules.json');
    if (!existsSync(rulesFile)) throw new StackStartError(`rules file ${rulesFile} does not exist`);
    const project = this.args.project ?? defaultProject(root);
    if (!project.startsWith('demo-')) {
      this.io.out(
        `note: project "${project}" is not a demo- project; firebase-tools may try to reach production services for it.`,
      );
    }
    // The project's database instances, each a namespace of our emulator; the default one first.
    const instances = stackInstances(project, this.args.instances ?? 1);
    const namespace = instances[0] as string;
    const firebaseJson = readJson(path.join(root, 'firebase.json'));
    const skip = new Set<Service>(this.args.demo ? [] : ['demo']);
    const ports = await resolvePorts(this.args.ports, firebaseJson, skip);
    await assertPortsFree(ports, skip);
    this.assertNotStopping();

    const { importDir, exportDir } = this.dataDirs();
    this.exportDir = exportDir;
    const databaseImport = path.join(this.tmp, 'database-import.json');
    const importsDatabase = importDir !== undefined && databaseImportFile(importDir, databaseImport);
    if (exportDir !== undefined) this.exportFile = path.join(this.tmp, 'database-export.json');

    // 1. Our database emulator, delivering triggers to where the Functions emulator will listen.
    this.database = new ManagedChild({
      name: 'database emulator',
      command: process.execPath,
      args: [
        emulatorCli,
        ...['--host', HOST, '--port', String(ports.database), '--rules', rulesFile, '--project', project],
        ...['--functions', `${HOST}:${ports.functions}`],
        ...(importsDatabase ? ['--import', databaseImport] : []),
        ...(this.exportFile ? ['--export-on-exit', this.exportFile] : []),
      ],
      cwd: root,
      // It stops when our stdin pipe closes: no orphan if the launcher is killed.
      env: { ...process.env, RTDB_EMULATOR_STOP_WITH_PARENT: '1' },
      stdinPipe: true,
      onLine: (line) => {
        if (!DATABASE_READY.test(line)) this.io.log(`[database] ${line}`);
      },
    });
    await this.database.waitForLine(DATABASE_READY, DATABASE_START_MS, 'the ready line');
    this.assertNotStopping();

    // 2. firebase-tools' Auth and Functions emulators; the demo builds meanwhile.
    writeFunctionsEnv(this.tmp, instances);
    writeFileSync(
      path.join(this.tmp, 'firebase.json'),
      JSON.stringify(firebaseConfig(this.tmp, functionsDir, functionsRuntime(firebaseJson), ports), null, 2),
    );
    this.firebase = new ManagedChild({
      name: 'firebase emulators:start',
      command: process.execPath,
      args: [
        firebaseBin,
        ...[
          'emulators:start',
          '--only',
          'auth,functions',
          '--project',
          project,
          '--config',
          path.join(this.tmp, 'firebase.json'),
        ],
        ...(importDir !== undefined && existsSync(importDir) ? ['--import', importDir] : []),
        ...(exportDir !== undefined ? ['--export-on-exit', exportDir] : []),
      ],
      cwd: this.tmp,
      env: firebaseEnv(`${HOST}:${ports.database}`, namespace),
      onLine: (line) => {
        const plain = stripAnsi(line).trim();
        if (plain === '' || FIREBASE_NOISE.some((noise) => noise.test(plain))) return;
        this.io.log(`[firebase] ${plain}`);
      },
    });
    const demoDir = path.join(root, 'demo');
    const demoBuilt = this.args.demo ? this.prepareDemo(demoDir) : Promise.resolve(false);
    await this.firebase.waitForLine(FIREBASE_READY, FIREBASE_START_MS, '"All emulators ready"');
    const functionsOrigin = `http://${HOST}:${ports.functions}`;
    const backends = await fetchBackends(functionsOrigin);
    this.assertNotStopping();

    // 3. The demo app, the rules watcher, the scheduler.
    if ((await demoBuilt) && this.stopping === undefined) {
      this.demoServer = await serveDemo(
        path.join(demoDir, 'dist'),
        demoConfig(project, instances, ports),
        HOST,
        ports.demo,
      );
    }
    this.watcher = new RulesWatcher({
      rulesFile,
      databaseOrigin: `http://${HOST}:${ports.database}`,
      namespaces: instances,
      log: (line) => this.io.log(`[stack] ${line}`),
    });
    await this.watcher.start();
    if (this.stopping !== undefined) await this.watcher.stop(); // stop() ran before the watch existed
    this.assertNotStopping();
    this.scheduler = new FunctionScheduler({
      functionsOrigin,
      project,
      ...(this.args.scheduleEveryMs !== undefined ? { everyMs: this.args.scheduleEveryMs } : {}),
      log: (line) => this.io.log(`[stack] ${line}`),
    });
    const scheduled = await this.scheduler.start();
    return {
      project,
      namespace,
      instances,
      ports,
      demo: this.demoServer !== undefined,
      scheduled,
      triggers: databaseTriggers(backends),
    };
  }

  /** Stops everything (exporting first when asked); safe to call during start and more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.scheduler?.stop();
      await this.watcher?.stop();
      if (this.demoServer) {
        this.demoServer.closeAllConnections();
        await new Promise<void>((resolve) => this.demoServer?.close(() => resolve()));
      }
      // Both export on SIGINT; firebase-tools replaces the export folder, so ours is moved in after.
      await Promise.all([
        this.firebase?.stop('SIGINT', FIREBASE_STOP_MS),
        this.database?.stop('SIGINT', DATABASE_STOP_MS),
      ]);
      if (this.exportDir !== undefined && this.exportFile !== undefined && existsSync(this.exportFile)) {
        const count = writeDatabaseExport(this.exportFile, this.exportDir);
        this.io.out(`Exported auth and ${count} database namespace(s) to ${this.exportDir}`);
      }
      rmSync(this.tmp, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Ctrl-C during start: nothing more is started after stop() began. */
  private assertNotStopping(): void {
    if (this.stopping !== undefined) throw new StackStartError('stopped while starting');
  }

  /** SIGKILL to every child's process group, synchronously (for `process.on('exit')`). */
  killNow(): void {
    this.firebase?.killGroup();
    this.database?.killGroup();
  }

  private dataDirs(): { importDir?: string; exportDir?: string } {
    const importDir = this.args.importDir !== undefined ? path.resolve(this.args.importDir) : undefined;
    const exportDir = this.args.exportDir !== undefined ? path.resolve(this.args.exportDir) : undefined;
    // As firebase-tools: an import folder that does not exist yet is fine when it is also the export folder.
    if (importDir !== undefined && !existsSync(importDir) && importDir !== exportDir) {
      throw new DataDirectoryError(`--import ${this.args.importDir}: directory does not exist`);
    }
    return { ...(importDir ? { importDir } : {}), ...(exportDir ? { exportDir } : {}) };
  }

  private async prepareDemo(demoDir: string): Promise<boolean> {
    if (!existsSync(path.join(demoDir, 'package.json'))) {
      this.io.out('note: demo/ is missing; the demo app is not served.');
      return false;
    }
    if (demoNeedsBuild(demoDir)) {
      try {
        await buildDemo(demoDir, path.join(this.root, 'node_modules/vite/bin/vite.js'), (line) =>
          this.io.log(`[stack] ${line}`),
        );
      } catch (error) {
        // The backend is still useful without the demo: say why and run without it.
        this.io.out(`note: the demo app is not served: ${(error as Error).message}`);
        return false;
      }
    }
    return true;
  }
}

/** `.firebaserc` `projects.default`, as `firebase use` would pick. */
function defaultProject(root: string): string {
  const rc = readJson(path.join(root, '.firebaserc')) as { projects?: { default?: unknown } } | undefined;
  return typeof rc?.projects?.default === 'string' ? rc.projects.default : DEFAULT_PROJECT;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function resolvable(name: string, from: string): boolean {
  try {
    require.resolve(name, { paths: [from] });
    return true;
  } catch {
    return false;
  }
}
