/**
 * Our emulator in this test process, for the suites that must control what a shared emulator cannot:
 * its clock (virtual-time.ts moves it with everything else) and its life (a restart on the same port
 * with the data, as a server restart looks to connected clients). Every namespace gets the real
 * database.rules.json. Those suites need our emulator by construction; the rest of test/client runs
 * against whichever emulator FIREBASE_DATABASE_EMULATOR_HOST names.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../../emulator/src';
import { freshNamespace, type EmulatorAddress } from '../helpers/emulator';
import { disposeAll, useEmulator } from './support';
import { VirtualTime } from './virtual-time';

const RULES = readFileSync(path.resolve(__dirname, '../../database.rules.json'), 'utf8');

export class OwnEmulator {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'device-limit-client-'));
  private readonly dataFile = path.join(this.dir, 'export.json');
  private handle: EmulatorHandle | null = null;
  private port = 0;

  private constructor() {}

  static async start(): Promise<OwnEmulator> {
    const emulator = new OwnEmulator();
    await emulator.listen(false);
    return emulator;
  }

  get address(): EmulatorAddress {
    return { host: '127.0.0.1', port: this.port, hostAndPort: `127.0.0.1:${this.port}` };
  }

  /**
   * Stops the server and starts it again on the same port with the data it had. `stop()` exports
   * before it closes the connections, so the onDisconnect releases those closes run are lost with the
   * old process: a crash, as far as the data can tell.
   */
  async restart(): Promise<void> {
    await this.handle?.stop();
    this.handle = null;
    await this.listen(true);
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
    this.handle = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async listen(withData: boolean): Promise<void> {
    this.handle = await startEmulator({
      host: '127.0.0.1',
      port: this.port,
      rules: RULES,
      log: false,
      exportOnExit: this.dataFile,
      ...(withData && existsSync(this.dataFile) ? { importFile: this.dataFile } : {}),
    });
    this.port = this.handle.port;
  }
}

export interface OwnEmulatorSuite {
  /** A fresh namespace of this file. */
  readonly ns: string;
  /** The virtual clock of this file, installed for its tests (pass it as the sessions' `timers`). */
  readonly time: VirtualTime;
  /** The emulator of this file (started in beforeAll), e.g. for `restart()`. */
  readonly emulator: () => OwnEmulator;
}

/**
 * The setup of a test file on its own emulator in virtual time: before its tests, installs the
 * virtual clock, starts the emulator and points support.ts at it; after them, disposes of every
 * device, stops the emulator, points support.ts back at the shared one and uninstalls the clock.
 */
export function ownEmulatorSuite(prefix: string): OwnEmulatorSuite {
  const ns = freshNamespace(prefix);
  const time = new VirtualTime();
  let emulator: OwnEmulator | null = null;

  const current = (): OwnEmulator => {
    if (!emulator) throw new Error('the emulator of this file runs from beforeAll to afterAll');
    return emulator;
  };

  beforeAll(async () => {
    time.install();
    emulator = await OwnEmulator.start();
    useEmulator(emulator.address);
  });
  afterAll(async () => {
    await disposeAll();
    await current().stop();
    useEmulator(null);
    time.uninstall();
  });

  return {
    ns,
    time,
    emulator: current,
  };
}
