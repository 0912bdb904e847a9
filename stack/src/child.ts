/**
 * A child process of the stack, in its own process group.
 *
 * Its own group, because firebase-tools starts children of its own (a worker per function codebase,
 * spawned without `detached`, so they stay in its group): stopping the group ends all of them, and a
 * terminal's Ctrl-C reaches only the launcher, which then stops each child once and in order (a
 * second SIGINT makes firebase-tools and our emulator skip their export).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ChildOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** every output line (stdout and stderr), already split */
  readonly onLine: (line: string) => void;
  /** keep stdin open as a pipe (our emulator stops when it closes: RTDB_EMULATOR_STOP_WITH_PARENT) */
  readonly stdinPipe?: boolean;
}

export class ChildExitedError extends Error {
  readonly code = 'child_exited';
  constructor(
    readonly child: string,
    readonly exit: string,
    readonly output: string,
  ) {
    super(`${child} exited (${exit}) before it was ready${output ? `:\n${output}` : ''}`);
    this.name = 'ChildExitedError';
  }
}

export class ChildTimeoutError extends Error {
  readonly code = 'child_timeout';
  constructor(child: string, what: string, ms: number, output: string) {
    super(`${child}: ${what} did not happen within ${ms} ms${output ? `:\n${output}` : ''}`);
    this.name = 'ChildTimeoutError';
  }
}

/** Lines kept for error messages. */
const TAIL_LINES = 40;

export class ManagedChild {
  readonly process: ChildProcess;
  readonly exited: Promise<string>;
  private readonly tail: string[] = [];
  private readonly lineWaiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  constructor(private readonly options: ChildOptions) {
    this.process = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve(signal ?? `code ${code ?? '?'}`));
      this.process.once('error', (error) => resolve(`spawn failed: ${error.message}`));
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.line(line.replace(/\r$/, ''));
      });
      stream?.on('end', () => {
        if (partial) this.line(partial);
        partial = '';
      });
    }
  }

  get name(): string {
    return this.options.name;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  output(): string {
    return this.tail.join('\n');
  }

  /** The first line (from now on, or already seen among the last lines) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
    const seen = this.tail.find((line) => pattern.test(stripAnsi(line)));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve: (line: string) => finish(() => resolve(line)) };
      const timer = setTimeout(
        () => finish(() => reject(new ChildTimeoutError(this.name, what, timeoutMs, this.output()))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        const index = this.lineWaiters.indexOf(waiter);
        if (index >= 0) this.lineWaiters.splice(index, 1);
        settle();
      };
      this.lineWaiters.push(waiter);
      void this.exited.then((exit) => finish(() => reject(new ChildExitedError(this.name, exit, this.output()))));
    });
  }

  /**
   * Sends `signal` to the process (not its group: it stops its own children), waits up to `graceMs`,
   * then kills whatever is left of the group.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<string> {
    if (this.running && this.process.pid !== undefined) {
      try {
        this.process.kill(signal);
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.options.onLine(`did not stop within ${graceMs} ms after ${signal}; killing it`);
    }
    this.killGroup();
    return this.exited;
  }

  /** SIGKILL to the whole process group (synchronous: also used from an `exit` handler). */
  killGroup(): void {
    const pid = this.process.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }

  private line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    const plain = stripAnsi(line);
    for (const waiter of [...this.lineWaiters]) if (waiter.pattern.test(plain)) waiter.resolve(line);
    this.options.onLine(line);
  }
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
