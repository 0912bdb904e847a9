/**
 * The rules of the limit policies of docs/protocol.md §11 beyond the plan limit (which is the
 * `limitFor` piece): the replace form of a claim (docs/protocol.md §11.2, policy `evict-least-recent`) and the
 * server-only per-user `policy`. presence.ts puts these into the `/presence/{uid}` rules; they live
 * here so each policy reads as one unit. `§N` is a section of docs/protocol.md.
 */
import { LIMIT_POLICIES } from '../policies';
import { type RuleEntry, location, rule } from './document';
import { At, type Expr, type UserPath, and, cond, eq, ge, le, named, num, or, plus } from './expr';
import { countBefore, entryAppears, entryDisappears, isDeviceId, isOneOf, opValue, rejoinHeldForOther } from './pieces';

/**
 * `isReplace`, seen from the rule at `at`: this write is the replace form of a claim (docs/protocol.md §11.2) — the
 * entry named by `op` appears, the entry named by `replaced` disappears, and `count` keeps its value.
 * With invariant 1's rules (every entry created or removed needs `op` or `replaced` to name it, and a
 * write carries one of each), such a write swaps exactly one entry for one other.
 */
export function isReplace(at: At, user: UserPath): Expr {
  const op = opValue(at.newData(user('op')));
  const replaced = at.newData(user('replaced'));
  const victim = named('replaced', replaced.val());
  return named(
    'isReplace',
    and(
      replaced.isString(),
      entryAppears(op, at.data(user('devices', op)), at.newData(user('devices', op))),
      entryDisappears(victim, at.data(user('devices', victim)), at.newData(user('devices', victim))),
      eq(countBefore(at.newData(user('count'))), countBefore(at.data(user('count')))),
    ),
  );
}

/**
 * `accountFull`, at the new entry of a replace: before the write, the account had no free slot for
 * this device — `count`, plus a slot a rejoin reservation keeps for another device (docs/protocol.md §4.11), is at
 * least the limit — and was not above it. A replace is the answer to a full account, never a way to
 * skip a free slot, nor to get in while a lowered limit still has devices to shed (docs/protocol.md §5.5, §11.1).
 */
export function accountFull(at: At, user: UserPath, limit: Expr, deviceId: Expr, classFull?: Expr): Expr {
  const count = countBefore(at.data(user('count')));
  const reserved = cond(rejoinHeldForOther(at.newData(user('rejoin')), deviceId), num(1), num(0));
  const full = ge(plus(count, reserved), limit);
  // docs/protocol.md §11.3: or the claimer's class is full and the victim is of that class (a replace within the class).
  return named('accountFull', and(classFull ? or(full, classFull) : full, le(count, limit)));
}

/** `/presence/{uid}/replaced`: the device the latest replace evicted (docs/protocol.md §11.2). */
export function replacedRules(user: UserPath, isOwner: Expr): RuleEntry {
  const at = new At(user('replaced'));
  return location(
    'replaced',
    undefined,
    rule(
      '.write',
      and(isOwner, isReplace(at, user)),
      'Names the device a replace evicts (docs/protocol.md §11.2); written only in a write that is one: the entry it names disappears, the entry op names appears, count stays.',
    ),
    rule('.validate', isDeviceId, 'A deviceId (docs/protocol.md §3).'),
  );
}

/** `/presence/{uid}/policy`: an admin's per-user choice of what a claim on a full account does (docs/protocol.md §11.2). */
export function policyRules(): RuleEntry {
  return location(
    'policy',
    undefined,
    rule('.write', false, "Server only: an admin sets a user's policy (docs/protocol.md §11.2); clients follow it."),
    rule('.validate', isOneOf(LIMIT_POLICIES), 'One of the limit policies (docs/protocol.md §11.2).'),
  );
}
