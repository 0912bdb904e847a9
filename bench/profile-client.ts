/**
 * A typed client of the emulator's database profiler (`GET /.settings/profile.json`, the stream
 * `firebase database:profile` reads; docs/wire-protocol.md §17), for benchmarks and tests:
 *
 *   const profile = await startProfile({ host: '127.0.0.1:9000', namespace: 'demo-x' });
 *   // … the workload …
 *   const summary = summarizeProfile(await profile.stop());
 *
 * `startProfile` resolves once the emulator has answered, so every operation after it is recorded.
 */
import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { ProfileEvent, ProfileOperation } from '@device-limit/rtdb-emulator';

export type { ProfileEvent, ProfileOperation };

export interface ProfileTarget {
  /** where the emulator listens: `host:port` (as in FIREBASE_DATABASE_EMULATOR_HOST), or an http:// URL */
  readonly host: string;
  /** the namespace (`?ns=`) to profile; omitted: every namespace */
  readonly namespace?: string;
  /** the admin credential (default `owner`, the only one the endpoint accepts) */
  readonly credential?: string;
}

export interface ProfileRecording {
  /** The events received so far (a copy). */
  readonly events: readonly ProfileEvent[];
  /**
   * Waits until the stream has been quiet for `settleMs` (events of operations that already
   * finished are still on their way; default 50 ms, at most 2 s in all), closes it and returns
   * every event received.
   */
  stop(settleMs?: number): Promise<ProfileEvent[]>;
}

export class ProfileStreamError extends Error {
  constructor(
    message: string,
    /** the HTTP status, when the emulator answered */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProfileStreamError';
  }
}

export function isProfileStreamError(error: unknown): error is ProfileStreamError {
  return error instanceof ProfileStreamError;
}

const MAX_SETTLE_WAIT_MS = 2000;

export function startProfile(target: ProfileTarget): Promise<ProfileRecording> {
  const base = /^https?:\/\//.test(target.host) ? target.host : `http://${target.host}`;
  const url = new URL('/.settings/profile.json', base);
  if (target.namespace !== undefined) url.searchParams.set('ns', target.namespace);
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, {
      method: 'GET',
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${target.credential ?? 'owner'}` },
    });
    req.on('error', (error) => reject(new ProfileStreamError(`profile stream ${url.href}: ${error.message}`)));
    req.on('response', (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          reject(
            new ProfileStreamError(`profile stream ${url.href}: ${response.statusCode} ${body}`, response.statusCode),
          ),
        );
        return;
      }
      resolve(recording(req, response));
    });
    req.end();
  });
}

function recording(req: ClientRequest, response: IncomingMessage): ProfileRecording {
  const events: ProfileEvent[] = [];
  let buffered = '';
  let lastData = Date.now();
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    lastData = Date.now();
    buffered += chunk;
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const event = parseServerSentEvent(buffered.slice(0, end));
      if (event !== null) events.push(event);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
    }
  });
  // Closing the stream ourselves surfaces as an abort; nothing to report.
  response.on('error', () => undefined);
  req.on('error', () => undefined);
  return {
    get events() {
      return [...events];
    },
    async stop(settleMs = 50) {
      const deadline = Date.now() + MAX_SETTLE_WAIT_MS;
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      while (Date.now() - lastData < settleMs && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, settleMs));
      }
      req.destroy();
      return [...events];
    },
  };
}

/** One `event: log` / `data: {...}` block; anything else (comments, other events) is null. */
function parseServerSentEvent(block: string): ProfileEvent | null {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice('event:'.length).trim();
    else if (line.startsWith('data:')) data.push(line.slice('data:'.length).replace(/^ /, ''));
  }
  if (name !== 'log' || data.length === 0) return null;
  try {
    return JSON.parse(data.join('\n')) as ProfileEvent;
  } catch {
    return null;
  }
}

export interface OperationTally {
  count: number;
  bytes: number;
}

export interface OperationSummary extends OperationTally {
  /** done with the admin credential (firebase-admin, firebase-tools, REST as owner) */
  readonly admin: OperationTally;
  /** done by end-user clients (mock or real ID tokens, or unauthenticated) */
  readonly client: OperationTally;
  /** denied by the security rules */
  denied: number;
  /** failed for another reason (`datastale` transactions, invalid data, …) */
  failed: number;
}

export interface ProfileSummary {
  readonly total: OperationSummary;
  readonly byOperation: Partial<Record<ProfileOperation, OperationSummary>>;
}

function emptySummary(): OperationSummary {
  return { count: 0, bytes: 0, admin: { count: 0, bytes: 0 }, client: { count: 0, bytes: 0 }, denied: 0, failed: 0 };
}

function add(summary: OperationSummary, event: ProfileEvent): void {
  const bytes = event.bytes ?? 0;
  summary.count += 1;
  summary.bytes += bytes;
  const side = event.admin === true ? summary.admin : summary.client;
  side.count += 1;
  side.bytes += bytes;
  if (event.allowed === false) summary.denied += 1;
  else if (event.error !== undefined) summary.failed += 1;
}

/** Counts operations by type and by admin/client, with their bytes. */
export function summarizeProfile(events: readonly ProfileEvent[]): ProfileSummary {
  const total = emptySummary();
  const byOperation: Partial<Record<ProfileOperation, OperationSummary>> = {};
  for (const event of events) {
    add(total, event);
    const summary = (byOperation[event.name] ??= emptySummary());
    add(summary, event);
  }
  return { total, byOperation };
}

/** The summary as a Markdown table, one row per operation type. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const rows = Object.entries(summary.byOperation)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, s]) =>
        `| ${name} | ${s.count} | ${s.bytes} | ${s.admin.count} | ${s.admin.bytes} | ${s.client.count} | ${s.client.bytes} | ${s.denied} | ${s.failed} |`,
    );
  const t = summary.total;
  return [
    '| operation | count | bytes | admin | admin bytes | client | client bytes | denied | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    `| total | ${t.count} | ${t.bytes} | ${t.admin.count} | ${t.admin.bytes} | ${t.client.count} | ${t.client.bytes} | ${t.denied} | ${t.failed} |`,
  ].join('\n');
}
