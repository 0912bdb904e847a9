/**
 * One namespace of the Realtime Database: its tree, rules, listens and change feed. The "gateway"
 * of the emulator (in miniflare's sense): domain logic only, no sockets; the router in `../server`
 * decodes requests, calls these methods and encodes the replies.
 */
import type { Clock } from '../clock';
import { DatabaseError, permissionDenied } from '../errors';
import { type Caller, OPEN_RULES, type QueryParams, type RulesDecision, type RulesGate } from './access';
import { nodeHash } from './hash';
import {
  callSink,
  Listen,
  type ListenHandle,
  ListenIndex,
  type ListenSink,
  pushChanges,
  queryWindowAt,
} from './listens';
import { type DbNode, EMPTY_NODE, nodeGetAt, nodeToJSON } from './node';
import { type Path, validatePath } from './path';
import { compileQuery, runQuery } from './query';
import { planSet, planUpdate, type WritePlan } from './write';

/** After every committed write, for function trigger delivery (`../triggers`). `before`/`after` are whole roots. */
export interface DatabaseChange {
  readonly paths: ReadonlyArray<readonly string[]>;
  readonly before: DbNode;
  readonly after: DbNode;
  readonly caller: Caller;
  readonly disableTriggers: boolean;
}

export interface NamespaceDatabaseOptions {
  readonly clock: Clock;
  readonly rules?: RulesGate;
  /** the source text of `rules`, kept for `GET /.settings/rules.json` */
  readonly rulesSource?: string;
  readonly log?: (line: string) => void;
}

export interface WriteOptions {
  /** transaction: the client's hash of the value it based the write on (docs/wire-protocol.md §8) */
  readonly hash?: string;
  /** REST `disableTriggers=true` (firebase-tools --import): no function triggers */
  readonly disableTriggers?: boolean;
}

/** The reply the client gets for a stale transaction (`datastale`, docs/wire-protocol.md §8.1). */
export const DATASTALE_MESSAGE = 'datastale';

export class NamespaceDatabase {
  readonly name: string;
  private root_: DbNode = EMPTY_NODE;
  private rules_: RulesGate;
  private rulesSource_: string | undefined;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly listens = new ListenIndex();
  private readonly changeListeners = new Set<(change: DatabaseChange) => void>();
  private readonly listenOwner = {
    recheckListen: (listen: Listen): void => this.recheckListen(listen),
    removeListen: (listen: Listen): void => this.listens.remove(listen),
  };

  constructor(name: string, options: NamespaceDatabaseOptions) {
    this.name = name;
    this.clock = options.clock;
    this.rules_ = options.rules ?? OPEN_RULES;
    this.rulesSource_ = options.rulesSource;
    this.log = options.log ?? ((): void => undefined);
  }

  get root(): DbNode {
    return this.root_;
  }

  get rules(): RulesGate {
    return this.rules_;
  }

  get rulesSource(): string | undefined {
    return this.rulesSource_;
  }

  /** The number of active listens (for diagnostics and tests). */
  get listenCount(): number {
    return this.listens.size;
  }

  /** Replaces the rules, then re-checks every active listen and revokes those no longer readable. */
  setRules(rules: RulesGate, source?: string): void {
    this.rules_ = rules;
    this.rulesSource_ = source;
    for (const listen of this.listens.all()) this.recheckListen(listen);
  }

  /** One-shot read (wire `g`, REST GET): export-format JSON with the query applied. */
  get(caller: Caller, path: readonly string[], query?: QueryParams): unknown {
    validatePath(path);
    const compiled = compileQuery(query);
    this.checkRead(caller, path, query);
    return nodeToJSON(runQuery(compiled, nodeGetAt(this.root_, path)), true);
  }

  /** Wire `p` / REST PUT. With `options.hash` it is a transaction: `datastale` when the value moved on. */
  set(caller: Caller, path: readonly string[], value: unknown, options: WriteOptions = {}): void {
    const now = this.clock.now();
    if (options.hash !== undefined) {
      // The hash is compared before the rules: a client that cannot read keeps sending the hash of
      // null and ends in `maxretry`, as docs/wire-protocol.md §11 describes for production.
      validatePath(path);
      if (nodeHash(nodeGetAt(this.root_, path)) !== options.hash) {
        throw new DatabaseError('datastale', DATASTALE_MESSAGE);
      }
    }
    this.commit(caller, planSet(this.root_, path, value, now), now, options.disableTriggers ?? false);
  }

  /** Wire `m` / REST PATCH: a multi-location update, atomic and judged as one write. */
  update(
    caller: Caller,
    path: readonly string[],
    children: Readonly<Record<string, unknown>>,
    options: { readonly disableTriggers?: boolean } = {},
  ): void {
    const now = this.clock.now();
    this.commit(caller, planUpdate(this.root_, path, children, now), now, options.disableTriggers ?? false);
  }

  /** Rules dry run of a set (onDisconnect registration, docs/wire-protocol.md §10). */
  checkSet(caller: Caller, path: readonly string[], value: unknown): void {
    const now = this.clock.now();
    this.authorizeWrite(caller, planSet(this.root_, path, value, now), now);
  }

  /** Rules dry run of an update (onDisconnect registration). */
  checkUpdate(caller: Caller, path: readonly string[], children: Readonly<Record<string, unknown>>): void {
    const now = this.clock.now();
    this.authorizeWrite(caller, planUpdate(this.root_, path, children, now), now);
  }

  /**
   * Starts a listen and pushes the current data through `sink.data` before returning, so the router
   * replies `ok` after the data (docs/wire-protocol.md §5.4 item 1). Throws `permission_denied`.
   */
  listen(caller: Caller, path: readonly string[], query: QueryParams | undefined, sink: ListenSink): ListenHandle {
    validatePath(path);
    const compiled = compileQuery(query);
    const decision = this.checkRead(caller, path, query);
    const listen = new Listen(
      [...path],
      query,
      compiled.filters ? compiled : undefined,
      `${path.join('/')}\u0000${JSON.stringify(query ?? null)}`,
      caller,
      sink,
      decision.warnings ?? [],
      this.listenOwner,
    );
    let result = nodeGetAt(this.root_, path);
    if (listen.compiled !== undefined) {
      const window = queryWindowAt(listen.compiled, listen.path, this.root_);
      listen.window = window;
      result = window.result;
    }
    const json = nodeToJSON(result, true);
    callSink(this.log, () => sink.data(listen.path, json));
    this.listens.add(listen);
    return listen;
  }

  /** Subscribes to committed writes; returns the unsubscribe function. */
  onChange(listener: (change: DatabaseChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  private checkRead(caller: Caller, path: Path, query: QueryParams | undefined): RulesDecision {
    // The owner credential bypasses rules entirely (docs/wire-protocol.md §9.2).
    if (caller.kind === 'owner') return { allowed: true };
    const decision = this.rules_.canRead({ auth: caller.auth, root: this.root_, path, query, now: this.clock.now() });
    // A denial is the gate's result; the explain-denials log wraps the gate, so nothing is logged here.
    if (!decision.allowed) throw permissionDenied();
    return decision;
  }

  private authorizeWrite(caller: Caller, plan: WritePlan, now: number): void {
    if (caller.kind === 'owner') return;
    const decision = this.rules_.canWrite({
      auth: caller.auth,
      root: this.root_,
      newRoot: plan.newRoot,
      paths: plan.paths,
      now,
    });
    if (!decision.allowed) throw permissionDenied();
  }

  private commit(caller: Caller, plan: WritePlan, now: number, disableTriggers: boolean): void {
    this.authorizeWrite(caller, plan, now);
    const before = this.root_;
    const after = plan.newRoot;
    this.root_ = after;
    pushChanges(this.listens, plan.paths, before, after, this.log);
    if (this.changeListeners.size === 0) return;
    const change: DatabaseChange = { paths: plan.paths, before, after, caller, disableTriggers };
    for (const listener of this.changeListeners) {
      try {
        listener(change);
      } catch (error) {
        this.log(`[${this.name}] change listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private recheckListen(listen: Listen): void {
    if (!listen.active) return;
    if (listen.caller.kind === 'owner') return;
    const decision = this.rules_.canRead({
      auth: listen.caller.auth,
      root: this.root_,
      path: listen.path,
      query: listen.query,
      now: this.clock.now(),
    });
    if (decision.allowed) return;
    listen.active = false;
    this.listens.remove(listen);
    callSink(this.log, () => listen.sink.revoked());
  }
}
