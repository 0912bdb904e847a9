/**
 * Device classes (docs/protocol.md §11.3): per-class counters `classCount/{class}` kept exact like
 * `count`, bounded by the per-user `classLimits/{class}` an admin sets. presence.ts adds the
 * `class*Counted` conjuncts to the branches of the entry rule and the nodes below to `/presence/{uid}`.
 * A counter that does not exist yet may stay absent while no limit names its class, so the claims of
 * docs/protocol.md §4.2 (which carry no counter) stay valid for users without class limits.
 */
import { MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from '../index';
import { DECLARABLE_CLASSES, DEVICE_CLASSES, PLATFORM_CLASSES, type DeviceClass } from '../policies';
import { type RuleEntry, location, rule } from './document';
import {
  At,
  type Expr,
  type UserPath,
  type Snap,
  and,
  call,
  cond,
  data,
  eq,
  ge,
  identifier,
  le,
  lt,
  named,
  ne,
  newData,
  not,
  num,
  or,
  plus,
  regex,
  str,
} from './expr';
import { entryAppears, entryDisappears, isLimit, opValue } from './pieces';

const $class = identifier('$class');
const CLASS_PATTERN = new RegExp(`^(${DEVICE_CLASSES.join('|')})$`);

/** The fixed table of the contract as nested conditionals; a platform not in it is `other`. */
function platformClass(platform: Expr): Expr {
  const groups = new Map<DeviceClass, string[]>();
  for (const [name, deviceClass] of Object.entries(PLATFORM_CLASSES)) {
    if (deviceClass !== 'other') groups.set(deviceClass, [...(groups.get(deviceClass) ?? []), name]);
  }
  let expr: Expr = str('other');
  for (const [deviceClass, platforms] of [...groups.entries()].reverse()) {
    expr = cond(or(...platforms.map((name) => eq(platform, str(name)))), str(deviceClass), expr);
  }
  return expr;
}

/**
 * `classOf(k)`: the entry's `class` (docs/protocol.md §11.3), or `none` for an entry without one, whose class is
 * counted nowhere (`classCount/none` is not a class: it never exists and has no limit). The rules
 * check `class` against the platform once, where it is written (entryClassRule), so this stays short.
 */
export function classOf(key: Expr, entry: Snap): Expr {
  return named(
    `classOf(${key.formula})`,
    cond(entry.child('class').isString(), entry.child('class').val(), str(UNCLASSED)),
  );
}

/** The class key of an entry without a `class` field. */
const UNCLASSED = 'none';

/** `hasClassLimits`: an admin set a class limit for this user; every new entry then needs a class. */
function classRequired(at: At, user: UserPath): Expr {
  return named('hasClassLimits', at.root(user('classLimits')).exists());
}

/** The counter of class `c`, before (`data`) or after (`newData`) the write; absent = 0. */
function counter(at: At, user: UserPath, which: 'data' | 'newData', c: Expr): Snap {
  return at[which](user('classCount', c));
}

function valueOf(snap: Snap): Expr {
  return cond(snap.isNumber(), snap.val(), num(0));
}

/** `classMoves(c, d)`: the counter of class c moves by exactly d (0: keeps its value). */
function classMoves(at: At, user: UserPath, c: Expr, delta: number): Expr {
  const after = valueOf(counter(at, user, 'newData', c));
  const before = valueOf(counter(at, user, 'data', c));
  return named(`classMoves(${c.formula}, ${delta})`, eq(after, delta === 0 ? before : plus(before, num(delta))));
}

/** The counter of class c exists neither before nor after the write. */
function classUncounted(at: At, user: UserPath, c: Expr): Expr {
  return named(
    `classUncounted(${c.formula})`,
    and(not(counter(at, user, 'data', c).exists()), not(counter(at, user, 'newData', c).exists())),
  );
}

/** `classLimited(c)`: an admin set a limit for class c for this user. */
function classLimited(at: At, user: UserPath, c: Expr): Expr {
  return named(`classLimited(${c.formula})`, at.root(user('classLimits', c)).isNumber());
}

/** `classFull(c)`: class c has a limit and its counter is at it (docs/protocol.md §11.3). */
export function classFull(at: At, user: UserPath, c: Expr): Expr {
  const limit = at.root(user('classLimits', c));
  return named(
    `classFull(${c.formula})`,
    and(limit.isNumber(), ge(valueOf(counter(at, user, 'data', c)), limit.val())),
  );
}

/** At the entry being created by a claim (docs/protocol.md §4.2): its class counter +1, or left uncounted while unlimited. */
export function claimClassCounted(at: At, user: UserPath, key: Expr): Expr {
  const c = classOf(key, newData);
  return and(
    or(newData.child('class').isString(), not(classRequired(at, user))),
    or(classMoves(at, user, c, 1), and(classUncounted(at, user, c), not(classLimited(at, user, c)))),
  );
}

/** At the entry being removed by a release or a sweep (docs/protocol.md §4.6, §4.10): its class counter −1, if it has one. */
export function releaseClassCounted(at: At, user: UserPath, key: Expr, entry: Snap): Expr {
  const c = classOf(key, entry);
  return or(classMoves(at, user, c, -1), classUncounted(at, user, c));
}

/**
 * In a replace (docs/protocol.md §11.2): the entry `created` comes in, the entry `removed` goes out. Same class: the
 * counter keeps its value; different classes: the created one counts +1 (or stays uncounted while
 * unlimited), the removed one −1 (if counted). Checked at each of the two entries.
 */
export function replaceClassCounted(at: At, user: UserPath, created: Expr, removed: Expr, side: 'in' | 'out'): Expr {
  const same = eq(created, removed);
  const moved =
    side === 'in'
      ? or(
          classMoves(at, user, created, 1),
          and(classUncounted(at, user, created), not(classLimited(at, user, created))),
        )
      : or(classMoves(at, user, removed, -1), classUncounted(at, user, removed));
  const counted = or(and(same, classMoves(at, user, created, 0)), and(ne(created, removed), moved));
  if (side === 'out') return counted;
  return and(or(newData.child('class').isString(), not(classRequired(at, user))), counted);
}

/** `/presence/{uid}/classCount/{class}` and `/presence/{uid}/classLimits/{class}` (docs/protocol.md §11.3). */
export function classRules(user: UserPath, isOwner: Expr): RuleEntry[] {
  const at = new At(user('classCount', $class));
  const op = opValue(at.newData(user('op')));
  const replaced = named('replaced', at.newData(user('replaced')).val());
  const before = valueOf(at.data(user('classCount', $class)));
  const after = valueOf(newData);
  const limit = at.root(user('classLimits', $class));
  const count = location(
    'classCount',
    'Per-class counters (docs/protocol.md §11.3).',
    location(
      '$class',
      undefined,
      rule(
        '.write',
        and(
          isOwner,
          newData.exists(),
          at.newData(user('op')).isString(),
          or(
            and(
              eq(after, plus(before, num(1))),
              entryAppears(op, at.data(user('devices', op)), at.newData(user('devices', op))),
              eq(classOf(op, at.newData(user('devices', op))), $class),
            ),
            and(
              eq(after, plus(before, num(-1))),
              or(
                and(
                  entryDisappears(op, at.data(user('devices', op)), at.newData(user('devices', op))),
                  eq(classOf(op, at.data(user('devices', op))), $class),
                ),
                and(
                  at.newData(user('replaced')).isString(),
                  entryDisappears(replaced, at.data(user('devices', replaced)), at.newData(user('devices', replaced))),
                  eq(classOf(replaced, at.data(user('devices', replaced))), $class),
                ),
              ),
            ),
          ),
        ),
        'Like count (invariant 1, §11.3): a class counter moves by exactly one, and only with an entry of its class appearing (the entry op names) or disappearing (op, or the one a replace removes); the entry rules require the move. A client never removes it.',
      ),
      rule(
        '.validate',
        and(
          call($class, 'matches', regex(CLASS_PATTERN)),
          newData.isNumber(),
          ge(after, num(0)),
          or(lt(after, before), cond(limit.isNumber(), le(after, limit.val()), identifier('true'))),
        ),
        'A known class; at most its limit when one is set (docs/protocol.md §11.3); a decrease is always allowed, so releases work after a class limit was lowered.',
      ),
    ),
  );
  const limits = location(
    'classLimits',
    'Per-class limits an admin sets for this user (docs/protocol.md §11.3).',
    location(
      '$class',
      undefined,
      rule('.write', false, 'Server only: setClassLimits (docs/protocol.md §11.3).'),
      rule(
        '.validate',
        and(call($class, 'matches', regex(CLASS_PATTERN)), isLimit(MIN_DEVICE_LIMIT, MAX_DEVICE_LIMIT)),
        'A known class; an integer within the limit bounds (docs/protocol.md §7).',
      ),
    ),
  );
  return [count, limits];
}

/** The `class` field of a device entry (docs/protocol.md §11.3): its platform's class or a declarable one; never changes. */
export function entryClassRule(): RuleEntry {
  const platform = newData.parent().child('platform').val();
  return location(
    'class',
    undefined,
    rule(
      '.validate',
      and(
        newData.isString(),
        or(eq(newData.val(), platformClass(platform)), ...DECLARABLE_CLASSES.map((c) => eq(newData.val(), str(c)))),
        or(not(data.exists()), eq(newData.val(), data.val())),
      ),
      'The class of the entry: the class of its platform by the fixed table, or one a device may declare (tv); set at the claim, never changes (docs/protocol.md §11.3).',
    ),
  );
}
