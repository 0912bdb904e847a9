/**
 * One behavioural suite, two backends. When FIREBASE_DATABASE_EMULATOR_HOST is set (as
 * `firebase emulators:exec` does) the suite runs against that emulator, official or ours. Otherwise
 * it starts our emulator as a separate process on a free port and exports the variable, so every
 * test reaches the database only through it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const READY_LINE = /rtdb-emulator listening on http:\/\/([^\s]+)/;

export default async function globalSetup(): Promise<void> {
  if (process.env.FIREBASE_DATABASE_EMULATOR_HOST) return;
  const cli = path.resolve(__dirname, '../../emulator/dist/cli.js');
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0'], {
    // stdin stays open: if jest dies without the teardown, the emulator sees it end and stops.
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, RTDB_EMULATOR_QUIET: '1', RTDB_EMULATOR_STOP_WITH_PARENT: '1' },
  });
  const host = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`rtdb-emulator did not start within 15 s:\n${buffered}`)), 15000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = READY_LINE.exec(buffered);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`rtdb-emulator exited with ${code} before it was ready:\n${buffered}`)),
    );
  });
  child.stdout.resume();
  process.env.FIREBASE_DATABASE_EMULATOR_HOST = host;
  process.env.RTDB_TEST_EMULATOR_PID = String(child.pid);
  (globalThis as { __rtdbEmulator?: unknown }).__rtdbEmulator = child;
}
