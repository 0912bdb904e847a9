/**
 * A compiled ruleset: the {@link RulesGate} the database consults.
 *
 * Semantics, from "Understand Firebase Realtime Database Security Rules" and the rules reference:
 * - `.read`/`.write` cascade: a rule that grants at a location grants the whole subtree, and a
 *   deeper rule cannot take it back. Rules are tried from the root down; the first grant wins.
 * - A write that no rule at or above its location grants is still allowed when every changed
 *   descendant is granted by a `.write` at or below it (the server checks the rules of the nodes
 *   the write actually changes).
 * - `.validate` does not cascade: every non-null node of the new data at and under a written
 *   location, and on the way to it from the root, must pass its own `.validate`. Deleted nodes
 *   (null new data) are not validated.
 * - A multi-location update is one write: every location must be granted and valid, each judged
 *   against the final state (`newRoot`).
 * A denial is a result, never a throw; when denied, a traced re-run explains why.
 */
import type { ReadRequest, RulesDecision, RulesGate, WriteRequest } from '../database/access';
import { type DbNode, isEmptyNode, nodeChild, nodeEquals } from '../database/node';
import type { CoverageReport } from './coverage-types';
import { pathText, ruleLine, unindexedQueryWarning } from './explain';
import { NO_QUERY, orderByChildPath, queryVariable } from './query';
import type { CompiledRule } from './rule';
import { type RuleNode, loadRuleTree } from './rule-tree';
import type { EvalContext } from './runtime';
import { RuleSnapshot } from './snapshot';

export interface CompileOptions {
  /** Answer an `orderByChild` query on a child without `.indexOn` with the `no_index` warning (default true). */
  readonly indexWarnings?: boolean;
}

/** Enough to see the pattern in a large write without flooding the log. */
const MAX_EXPLAINED_RULES = 20;

/** Lines of the explanation being built; null on the fast path. */
type Explain = string[] | null;

/** The write path a rule judges: `/a/.priority` (setPriority) is a write to `/a`. */
function rulePathOf(path: readonly string[]): readonly string[] {
  return path[path.length - 1] === '.priority' ? path.slice(0, -1) : path;
}

/** Follows one key down the rules: a named child first, else the `$wildcard`, binding its value. */
function step(node: RuleNode, key: string, wildcards: string[]): RuleNode | null {
  const named = node.children.get(key);
  if (named !== undefined) return named;
  if (node.wildcard === null) return null;
  wildcards.push(key);
  return node.wildcard;
}

function childKeys(a: DbNode, b: DbNode): Set<string> {
  const keys = new Set<string>();
  if (a.kind === 'children') for (const key of a.children.keys()) keys.add(key);
  if (b.kind === 'children') for (const key of b.children.keys()) keys.add(key);
  return keys;
}

export class Ruleset implements RulesGate {
  private readonly root: RuleNode;
  private readonly rules: readonly CompiledRule[];
  private readonly indexWarnings: boolean;

  /** @throws RulesError when the rules are invalid */
  constructor(
    readonly source: string,
    options: CompileOptions = {},
  ) {
    const { root, rules } = loadRuleTree(source);
    this.root = root;
    this.rules = rules;
    this.indexWarnings = options.indexWarnings ?? true;
  }

  canRead(request: ReadRequest): RulesDecision {
    const path = rulePathOf(request.path);
    const query = queryVariable(request.query);
    if (
      !this.readGranted(this.context(request.auth, request.now, request.root, null, query), request.root, path, null)
    ) {
      const lines = [`read of ${pathText(path)} denied: no .read rule at or above it granted access`];
      const evaluated = this.readGranted(
        this.context(request.auth, request.now, request.root, null, query),
        request.root,
        path,
        lines,
      );
      if (!evaluated && lines.length === 1)
        lines.push('  (no .read rule applies on this path: reads are denied by default)');
      return { allowed: false, explanation: lines.join('\n') };
    }
    const child = this.indexWarnings ? orderByChildPath(request.query) : null;
    if (child !== null && !this.isIndexed(path, child)) {
      return { allowed: true, warnings: ['no_index'], explanation: unindexedQueryWarning(child, path) };
    }
    return { allowed: true };
  }

  canWrite(request: WriteRequest): RulesDecision {
    const paths = request.paths.map(rulePathOf);
    const ctx = this.context(request.auth, request.now, request.root, request.newRoot);
    for (const path of paths) {
      const denied = this.writeDenied(ctx, request, path, null);
      if (denied !== null) {
        const lines = [`write to ${pathText(path)} denied: no .write rule granted access`];
        this.writeDenied(this.context(request.auth, request.now, request.root, request.newRoot), request, path, lines);
        if (denied.length > path.length)
          lines.push(`  no .write rule at or below ${pathText(path)} grants the change at ${pathText(denied)}`);
        return { allowed: false, explanation: lines.join('\n') };
      }
    }
    const validated = new Set<string>();
    for (const path of paths) {
      if (!this.validates(ctx, request, path, validated, null)) {
        const lines = [`write to ${pathText(path)} denied: new data failed .validate`];
        this.validates(
          this.context(request.auth, request.now, request.root, request.newRoot),
          request,
          path,
          new Set(),
          lines,
        );
        return { allowed: false, explanation: lines.join('\n') };
      }
    }
    return { allowed: true };
  }

  coverage(): CoverageReport {
    return {
      expressions: this.rules.map((rule) => ({
        path: rule.rulePath,
        kind: rule.kind,
        expression: rule.source,
        range: rule.range,
        evaluations: rule.evaluations,
        trueCount: rule.trueCount,
        falseCount: rule.falseCount,
        errorCount: rule.errorCount,
      })),
    };
  }

  resetCoverage(): void {
    for (const rule of this.rules) {
      rule.evaluations = rule.trueCount = rule.falseCount = rule.errorCount = 0;
    }
  }

  private context(auth: unknown, now: number, root: DbNode, newRoot: DbNode | null, query = NO_QUERY): EvalContext {
    const rootSnapshot = new RuleSnapshot(root, [], root);
    return {
      auth,
      now,
      query,
      root: rootSnapshot,
      data: rootSnapshot,
      newData: newRoot === null ? null : new RuleSnapshot(newRoot, [], newRoot),
      wildcards: [],
      trace: null,
    };
  }

  /** On the explain pass, records the rules that did not grant: those are what decided a denial. */
  private evaluate(rule: CompiledRule, ctx: EvalContext, explain: Explain, dataPath: readonly string[]): boolean {
    if (explain === null) return rule.run(ctx);
    const trace = rule.trace(ctx);
    const explained = explain.length - 1; // the first line is the headline
    if (trace.result !== true && explained <= MAX_EXPLAINED_RULES) {
      explain.push(explained === MAX_EXPLAINED_RULES ? '  …' : ruleLine(rule, trace, dataPath));
    }
    return trace.result === true;
  }

  /** Tries `.read` from the root down to `path`; with `explain`, returns whether any rule was evaluated. */
  private readGranted(ctx: EvalContext, root: DbNode, path: readonly string[], explain: Explain): boolean {
    let node: RuleNode | null = this.root;
    let data = root;
    const wildcards: string[] = [];
    ctx.wildcards = wildcards;
    let evaluated = false;
    for (let depth = 0; ; depth++) {
      if (node.read !== null) {
        evaluated = true;
        ctx.data = new RuleSnapshot(root, path.slice(0, depth), data);
        if (this.evaluate(node.read, ctx, explain, path) && explain === null) return true;
      }
      if (depth === path.length) break;
      const key = path[depth] as string;
      node = step(node, key, wildcards);
      if (node === null) break;
      data = nodeChild(data, key);
    }
    return explain === null ? false : evaluated;
  }

  private isIndexed(path: readonly string[], child: string): boolean {
    let node: RuleNode | null = this.root;
    const ignored: string[] = [];
    for (const key of path) {
      node = step(node, key, ignored);
      if (node === null) return false;
    }
    return node.indexOn.includes(child);
  }

  /** Null when granted, else the location no `.write` grants (the path itself, or a changed descendant). */
  private writeDenied(
    ctx: EvalContext,
    request: WriteRequest,
    path: readonly string[],
    explain: Explain,
  ): readonly string[] | null {
    let node: RuleNode | null = this.root;
    let before = request.root;
    let after = request.newRoot;
    const wildcards: string[] = [];
    ctx.wildcards = wildcards;
    for (let depth = 0; ; depth++) {
      if (node.write !== null) {
        const location = path.slice(0, depth);
        ctx.data = new RuleSnapshot(request.root, location, before);
        ctx.newData = new RuleSnapshot(request.newRoot, location, after);
        if (this.evaluate(node.write, ctx, explain, location)) return null;
      }
      if (depth === path.length) break;
      const key = path[depth] as string;
      node = step(node, key, wildcards);
      if (node === null) return path;
      before = nodeChild(before, key);
      after = nodeChild(after, key);
    }
    // A no-op write has no changed descendant that could grant it.
    if (nodeEquals(before, after)) return path;
    return this.descendantsDenied(ctx, request, node, [...path], before, after, wildcards, explain);
  }

  private descendantsDenied(
    ctx: EvalContext,
    request: WriteRequest,
    node: RuleNode,
    path: string[],
    before: DbNode,
    after: DbNode,
    wildcards: string[],
    explain: Explain,
  ): readonly string[] | null {
    // A change of this node's own value or priority can only be granted here or above.
    if (before.kind === 'leaf' || after.kind === 'leaf' || before.priority !== after.priority) return path.slice();
    for (const key of childKeys(before, after)) {
      const childBefore = nodeChild(before, key);
      const childAfter = nodeChild(after, key);
      if (childBefore === childAfter || nodeEquals(childBefore, childAfter)) continue;
      const depth = wildcards.length;
      const child = step(node, key, wildcards);
      path.push(key);
      let denied: readonly string[] | null = path.slice();
      if (child !== null) {
        ctx.wildcards = wildcards;
        let granted = false;
        if (child.write !== null) {
          ctx.data = new RuleSnapshot(request.root, path.slice(), childBefore);
          ctx.newData = new RuleSnapshot(request.newRoot, path.slice(), childAfter);
          granted = this.evaluate(child.write, ctx, explain, path);
        }
        denied = granted
          ? null
          : this.descendantsDenied(ctx, request, child, path, childBefore, childAfter, wildcards, explain);
      }
      path.pop();
      wildcards.length = depth;
      if (denied !== null) return denied;
    }
    return null;
  }

  /** Runs `.validate` from the root to `path` and over the new data below it. */
  private validates(
    ctx: EvalContext,
    request: WriteRequest,
    path: readonly string[],
    validated: Set<string>,
    explain: Explain,
  ): boolean {
    let node: RuleNode | null = this.root;
    let before = request.root;
    let after = request.newRoot;
    const wildcards: string[] = [];
    ctx.wildcards = wildcards;
    for (let depth = 0; ; depth++) {
      if (node.validate !== null && !isEmptyNode(after)) {
        const location = path.slice(0, depth);
        const key = location.join('/');
        if (!validated.has(key)) {
          validated.add(key);
          ctx.data = new RuleSnapshot(request.root, location, before);
          ctx.newData = new RuleSnapshot(request.newRoot, location, after);
          if (!this.evaluate(node.validate, ctx, explain, location)) return false;
        }
      }
      if (depth === path.length) break;
      const key = path[depth] as string;
      node = step(node, key, wildcards);
      if (node === null) return true;
      before = nodeChild(before, key);
      after = nodeChild(after, key);
    }
    return this.validateBelow(ctx, request, node, [...path], before, after, wildcards, explain);
  }

  private validateBelow(
    ctx: EvalContext,
    request: WriteRequest,
    node: RuleNode,
    path: string[],
    before: DbNode,
    after: DbNode,
    wildcards: string[],
    explain: Explain,
  ): boolean {
    if (after.kind !== 'children' || (node.children.size === 0 && node.wildcard === null)) return true;
    const keys: Iterable<string> = node.wildcard !== null ? after.children.keys() : node.children.keys();
    for (const key of keys) {
      const childAfter = after.children.get(key);
      if (childAfter === undefined) continue;
      const depth = wildcards.length;
      const child = step(node, key, wildcards) as RuleNode;
      const childBefore = nodeChild(before, key);
      path.push(key);
      let ok = true;
      if (child.validate !== null) {
        ctx.wildcards = wildcards;
        ctx.data = new RuleSnapshot(request.root, path.slice(), childBefore);
        ctx.newData = new RuleSnapshot(request.newRoot, path.slice(), childAfter);
        ok = this.evaluate(child.validate, ctx, explain, path);
      }
      ok = ok && this.validateBelow(ctx, request, child, path, childBefore, childAfter, wildcards, explain);
      path.pop();
      wildcards.length = depth;
      if (!ok) return false;
    }
    return true;
  }
}

export function compileRules(source: string, options?: CompileOptions): Ruleset {
  return new Ruleset(source, options);
}
