/**
 * The seam between the database and security rules. The database never imports the rules engine:
 * it asks a {@link RulesGate} and obeys the {@link RulesDecision}. A denial is a result, not a throw.
 */
import type { DbNode } from './node';

/** The wire query object (`q` in listens and gets); see `queryParamsGetQueryObject` in the SDK. */
export interface QueryParams {
  /** index: absent = priority, ".value", ".key", or a child path such as "a/b" */
  readonly i?: string;
  readonly sp?: unknown;
  readonly sn?: string;
  readonly sin?: boolean;
  readonly ep?: unknown;
  readonly en?: string;
  readonly ein?: boolean;
  readonly l?: number;
  /** "l" = limitToFirst, "r" = limitToLast */
  readonly vf?: 'l' | 'r';
}

/** The rules `auth` variable: `null` when unauthenticated. */
export type AuthVariable = Readonly<Record<string, unknown>> | null;

/**
 * Who performs an operation. `owner` is the admin credential and bypasses rules; firebase-admin's
 * `databaseAuthVariableOverride` turns an owner connection into a `user` with the given auth.
 */
export type Caller = { readonly kind: 'owner' } | { readonly kind: 'user'; readonly auth: AuthVariable };

export const OWNER: Caller = Object.freeze({ kind: 'owner' });

export interface ReadRequest {
  readonly auth: AuthVariable;
  readonly root: DbNode;
  readonly path: readonly string[];
  readonly query?: QueryParams | undefined;
  readonly now: number;
}

export interface WriteRequest {
  readonly auth: AuthVariable;
  /** the state before the write (`root`, `data`) */
  readonly root: DbNode;
  /** the projected state after every location of the write is applied (`newData`) */
  readonly newRoot: DbNode;
  /** the written locations; several for a multi-location update */
  readonly paths: ReadonlyArray<readonly string[]>;
  readonly now: number;
}

export interface RulesDecision {
  readonly allowed: boolean;
  /** Why, for the explain-denials log: the rule path and expression that decided it. */
  readonly explanation?: string;
  /** e.g. the unindexed-query warning, sent to the client as `{"w": ["no_index"]}` */
  readonly warnings?: readonly string[];
}

export interface RulesGate {
  canRead(request: ReadRequest): RulesDecision;
  canWrite(request: WriteRequest): RulesDecision;
}

/** Rules that allow everything: the default when no rules file is configured, as firebase-tools does. */
export const OPEN_RULES: RulesGate = {
  canRead: () => ({ allowed: true }),
  canWrite: () => ({ allowed: true }),
};
