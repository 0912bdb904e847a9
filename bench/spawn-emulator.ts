/**
 * The built emulator in its own process on a free port, as benchmarks measure it: a separate process,
 * so its work and the benchmark's clients do not share one event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export async function spawnEmulator(): Promise<{ host: string; child: ChildProcess }> {
  // The package entry is `dist/index.js`; the command sits beside it.
  const cli = path.join(path.dirname(require.resolve('@device-limit/rtdb-emulator')), 'cli.js');
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RTDB_EMULATOR_QUIET: '1' },
  });
  const host = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error('emulator did not start within 15 s')), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /rtdb-emulator listening on http:\/\/(\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  child.stdout?.resume();
  return { host, child };
}
