/**
 * Reloads `database.rules.json` into the running emulator when the file changes, the way
 * firebase-tools does for the official one (`emulator/databaseEmulator.js`: a watcher on the rules
 * file, then `PUT /.settings/rules.json?ns=<instance>` with `Authorization: Bearer owner`).
 *
 * Our emulator's `--rules` only reads the file at start, so the launcher does the reload. The emulator
 * compiles the new rules before installing them and answers 400 with the error otherwise, keeping the
 * previous rules, so a broken edit costs nothing: it is logged and the last good rules stay.
 *
 * Rules are set per namespace over REST, so a reload goes to every namespace that exists (listed by
 * `/.inspect/databases.json`) and to the project's default one. [difference: a namespace first used
 * after a reload starts with the rules the emulator was started with; restart the stack, or touch the
 * rules file again, to give it the new ones]
 */
import { readFile } from 'node:fs/promises';
import { type FSWatcher, watch } from 'node:fs';
import * as path from 'node:path';

export interface RulesWatcherOptions {
  readonly rulesFile: string;
  /** `http://host:port` of our emulator */
  readonly databaseOrigin: string;
  /** always reloaded, even before first use: the project's default namespace */
  readonly namespaces: readonly string[];
  readonly log: (line: string) => void;
}

/** Editors save in bursts (truncate, write, rename); one reload per burst. */
const DEBOUNCE_MS = 150;
const REQUEST_TIMEOUT_MS = 10_000; /* 10 s */

export class RulesWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSource: string | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** reloads applied / refused, for diagnostics */
  applied = 0;
  refused = 0;

  constructor(private readonly options: RulesWatcherOptions) {}

  /** Remembers the current text (what the emulator was started with), so saving it unchanged is no reload. */
  async start(): Promise<void> {
    this.lastSource = await readFile(this.options.rulesFile, 'utf8');
    // Watch the folder, not the file: editors that save by renaming a new file over the old one
    // would leave a file watch on the deleted inode.
    const file = path.basename(this.options.rulesFile);
    this.watcher = watch(path.dirname(path.resolve(this.options.rulesFile)), (_event, name) => {
      if (name !== null && name.toString() !== file) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reloading = this.reloading.then(() => this.reload());
      }, DEBOUNCE_MS);
    });
  }

  /** Resolves once every reload started so far has finished. */
  settled(): Promise<void> {
    return this.reloading;
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    return this.reloading;
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    let source: string;
    try {
      source = await readFile(this.options.rulesFile, 'utf8');
    } catch (error) {
      // Mid-rename, or deleted: the emulator keeps its rules.
      this.options.log(
        `rules: cannot read ${this.options.rulesFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}); keeping the last good rules`,
      );
      return;
    }
    if (source === this.lastSource) return;
    const namespaces = await this.namespaces();
    for (const namespace of namespaces) {
      const answer = await this.put(namespace, source);
      if (answer !== null) {
        this.refused += 1;
        this.options.log(`rules: ${this.options.rulesFile} NOT loaded, keeping the last good rules: ${answer}`);
        // Remember it so the same broken text is not reported again; a fix is a different text.
        this.lastSource = source;
        return;
      }
    }
    this.lastSource = source;
    this.applied += 1;
    this.options.log(`rules: reloaded ${this.options.rulesFile} into ${namespaces.length} namespace(s)`);
  }

  private async namespaces(): Promise<string[]> {
    const names = new Set(this.options.namespaces);
    try {
      const response = await fetch(`${this.options.databaseOrigin}/.inspect/databases.json`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const list = (await response.json()) as unknown;
      if (Array.isArray(list)) {
        for (const entry of list) {
          const name = (entry as { name?: unknown } | null)?.name;
          if (typeof name === 'string') names.add(name);
        }
      }
    } catch {
      // The emulator is stopping; the default namespaces are enough.
    }
    // The project's namespace first: a broken file is reported before any namespace is touched.
    return [...names];
  }

  /** null when loaded, else the emulator's reason. */
  private async put(namespace: string, source: string): Promise<string | null> {
    try {
      const response = await fetch(
        `${this.options.databaseOrigin}/.settings/rules.json?ns=${encodeURIComponent(namespace)}`,
        {
          method: 'PUT',
          headers: { Authorization: 'Bearer owner' },
          body: source,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        },
      );
      if (response.ok) return null;
      const text = await response.text();
      try {
        const error = (JSON.parse(text) as { error?: unknown }).error;
        if (typeof error === 'string') return error;
      } catch {
        // not JSON: report the text
      }
      return `${response.status} ${text}`;
    } catch (error) {
      return `the emulator did not answer (${(error as Error).message})`;
    }
  }
}
