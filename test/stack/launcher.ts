/**
 * Starts the launcher (`stack/dist/cli.js`, what `npm start` runs) as a user would, as a child
 * process on ports of its own, and stops it the way a terminal's Ctrl-C does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from '../helpers/ports';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const LAUNCHER = path.join(REPO, 'stack/dist/cli.js');
/** The banner's first line (stack/src/cli.ts READY_LINE). */
const READY = /Local stack ready/;

export const STACK_SERVICES = ['database', 'auth', 'functions', 'demo', 'hub', 'logging', 'eventarc', 'tasks'] as const;
export type StackService = (typeof STACK_SERVICES)[number];

/** Distinct free ports for every service, so this run collides with no developer's `npm start`. */
export async function freePorts(): Promise<Record<StackService, number>> {
  const ports = {} as Record<StackService, number>;
  const used = new Set<number>();
  for (const service of STACK_SERVICES) {
    let port = await freePort();
    while (used.has(port)) port = await freePort();
    used.add(port);
    ports[service] = port;
  }
  return ports;
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class LaunchedStack {
  private text = '';
  readonly exited: Promise<number | string>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  }

  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the output (from `from` on) matches `pattern`; rejects on exit or after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs: number, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text.slice(from))) {
      if (!this.running)
        throw new Error(`the launcher exited (${String(this.child.exitCode ?? this.child.signalCode)}):\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Ctrl-C; if it has not exited after `graceMs`, a second Ctrl-C (the launcher then kills every
   * child's process group), and SIGKILL as the last resort. Resolves with the exit code or signal.
   */
  async interrupt(graceMs: number): Promise<number | string> {
    if (!this.running) return this.exited;
    this.child.kill('SIGINT');
    if (await settlesWithin(this.exited, graceMs)) return this.exited;
    this.child.kill('SIGINT');
    if (await settlesWithin(this.exited, 5_000)) return this.exited;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

export function launchStack(args: readonly string[], env: NodeJS.ProcessEnv = {}): LaunchedStack {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new LaunchedStack(child);
}

export async function waitForReady(stack: LaunchedStack, timeoutMs: number): Promise<void> {
  await stack.waitForOutput(READY, timeoutMs);
}
