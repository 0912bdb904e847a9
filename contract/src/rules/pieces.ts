/**
 * The named pieces the rules are built from. Each one is a small expression with a meaning in
 * docs/protocol.md; the rules in build.ts are conjunctions of these, and the generated file shows a
 * rule's formula in terms of their names. {@link PIECES} is the glossary the file's header prints.
 */
import {
  DEVICE_ID_PATTERN,
  LABEL_MAX_LENGTH,
  LABEL_MIN_LENGTH,
  MAX_DEVICE_LIMIT,
  MIN_DEVICE_LIMIT,
  PING_DEADLINE_MS,
  REJOIN_WINDOW_MS,
  STALE_AFTER_MS,
} from '../index';
import { DEVICE_LIMIT_CLAIM } from '../policies';
import {
  type Expr,
  type Snap,
  and,
  auth,
  cond,
  data,
  eq,
  ge,
  identifier,
  le,
  lt,
  member,
  minus,
  mod,
  named,
  ne,
  newData,
  not,
  now,
  num,
  or,
  plus,
  regex,
  call,
} from './expr';

/** The name of each piece with what it means, in the order the header lists them. */
export const PIECES: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ['isOwner($uid)', 'the request is signed in as $uid (docs/protocol.md §8)'],
  [
    'passesForceLoginGate',
    'no notBefore cut-off, or this session signed in at or after it (auth_time >= notBefore; docs/protocol.md §5.1)',
  ],
  ['countBefore', 'count before the write; absent = 0'],
  ['countAfter', 'count as the write leaves it'],
  ['countMoves', 'count is a number after the write and differs from countBefore'],
  ['op', 'the deviceId the write names in op'],
  ['entryAppears(k)', 'devices/k is absent before the write and present after it'],
  ['entryDisappears(k)', 'devices/k is present before the write and absent after it'],
  [
    'limitFor($uid)',
    '/limits/$uid when it is a number, else the plan limit of the ID token (hasPlanLimit), else the default limit (docs/protocol.md §2, §11.1)',
  ],
  ['planLimit', "the ID token's custom claim deviceLimit (docs/protocol.md §11.1)"],
  [
    'hasPlanLimit',
    'the token carries planLimit as an integer within the limit bounds; any other value is ignored (docs/protocol.md §11.1)',
  ],
  ['currentGeneration', "the user's generation before the write; absent = 0 (docs/protocol.md §1, invariant 3)"],
  ['isNow(x)', "x == now: only the server's clock, as serverTimestamp() writes it (docs/protocol.md §4)"],
  ['isStaleEntry(k)', 'leaseExpired(k) || missedPing(k): devices/k may be swept (docs/protocol.md §4.10)'],
  ['leaseExpired(k)', "devices/k's lastSeen is older than STALE_AFTER_MS (docs/protocol.md §4.10)"],
  ['missedPing(k)', 'devices/k did not answer a ping within PING_DEADLINE_MS (docs/protocol.md §4.9)'],
  ['noRecentPing', 'no ping, or the last one is PING_DEADLINE_MS old (docs/protocol.md §4.9)'],
  [
    'rejoinHeldForOther',
    'a rejoin reservation younger than REJOIN_WINDOW_MS names another device than op: one free slot is kept for it (docs/protocol.md §4.11)',
  ],
  ['rejoinExpired', 'the rejoin reservation is REJOIN_WINDOW_MS old (docs/protocol.md §4.11)'],
  ['isCreate', 'the node is absent before the write and present after it'],
  ['isDelete', 'the node is present before the write and absent after it'],
  ['isUpdate', 'the node is present before and after the write'],
  ['isCompleteEntry', 'a device entry with all five fields (docs/protocol.md §2)'],
  ['unchanged(f)', 'field f of the entry is the same after the write as before'],
  ['isDeviceId', 'a string matching DEVICE_ID_PATTERN (docs/protocol.md §3)'],
  ['isPlatform', 'one of the configured platforms (docs/protocol.md §2)'],
  ['isLabel', 'a string of LABEL_MIN_LENGTH to LABEL_MAX_LENGTH characters (docs/protocol.md §2)'],
  ['isLimit', 'an integer within the limit bounds (docs/protocol.md §7)'],
  [
    'shardEpoch',
    "this instance's /shardEpoch, the epoch of the current shard map; absent = 0 (docs/protocol.md §10.2)",
  ],
  [
    'mapEpoch',
    'the map epoch of the claim, as the write leaves /presence/$uid/mapEpoch; absent = 0 (docs/protocol.md §10.2)',
  ],
  [
    'admittedHere',
    'an entry that exists already, or a claim the shard map admits here: shardEpoch - 1 <= mapEpoch <= shardEpoch and no fence movedOut >= mapEpoch (R1, §10.2)',
  ],
];

export const ENTRY_FIELDS = ['claimedAt', 'lastSeen', 'generation', 'platform', 'label'] as const;
export const NOTICE_FIELDS = ['reason', 'at', 'generation'] as const;
export const REJOIN_FIELDS = ['deviceId', 'at'] as const;
export const EVENT_REQUIRED_FIELDS = ['type', 'deviceId', 'at'] as const;

/** `(s.isNumber() ? s.val() : fallback)`: an absent counter or generation reads as its default. */
function numberOr(s: Snap, fallback: Expr): Expr {
  return cond(s.isNumber(), s.val(), fallback);
}

export function isOwner(uid: Expr): Expr {
  return named(`isOwner(${uid.formula})`, and(ne(auth, identifier('null')), eq(member(auth, 'uid'), uid)));
}

/** docs/security.md, "The force-login gate": `notBefore` is in seconds, like `auth_time`. */
export function passesForceLoginGate(notBefore: Snap): Expr {
  return named(
    'passesForceLoginGate',
    or(not(notBefore.exists()), ge(member(member(auth, 'token'), 'auth_time'), notBefore.val())),
  );
}

/** `count` is a snapshot of the user's count taken from `data` or `root` (the state before the write). */
export function countBefore(count: Snap): Expr {
  return named('countBefore', numberOr(count, num(0)));
}

/** `count` is a snapshot of the user's count taken from `newData`. */
export function countAfter(count: Snap): Expr {
  return named('countAfter', count.val());
}

export function countMoves(before: Snap, after: Snap): Expr {
  return named('countMoves', and(after.isNumber(), ne(after.val(), countBefore(before))));
}

export function opValue(op: Snap): Expr {
  return named('op', op.val());
}

/** The entry `key` exists in `after` (a snapshot from `newData`) but not in `before`. */
export function entryAppears(key: Expr, before: Snap, after: Snap): Expr {
  return named(`entryAppears(${key.formula})`, and(not(before.exists()), after.exists()));
}

export function entryDisappears(key: Expr, before: Snap, after: Snap): Expr {
  return named(`entryDisappears(${key.formula})`, and(before.exists(), not(after.exists())));
}

/** docs/protocol.md §11.1: the plan limit custom claim, as the rules see the writer's ID token. */
export const planLimit = named('planLimit', member(member(auth, 'token'), DEVICE_LIMIT_CLAIM));

const NULL = identifier('null');

/**
 * The token carries an integer plan limit within the bounds. The rules language has no `typeof`, and
 * an operator applied to the wrong type is an evaluation error that refuses the whole write, so the
 * tests are ordered to never raise one for the values a claim may hold: strict `!=`/`==` never fail;
 * `x + 0 == x` holds for a number and fails (without an error) for a string, which `+` concatenates;
 * only then `%` and the comparisons, which need a number. A map or a list still raises the error at
 * `+` (docs/security.md, "Plan limits": such a claim fails closed).
 */
export const hasPlanLimit = named(
  'hasPlanLimit',
  and(
    ne(planLimit, NULL),
    ne(planLimit, identifier('true')),
    ne(planLimit, identifier('false')),
    eq(plus(planLimit, num(0)), planLimit),
    eq(mod(planLimit, num(1)), num(0)),
    ge(planLimit, num(MIN_DEVICE_LIMIT)),
    le(planLimit, num(MAX_DEVICE_LIMIT)),
  ),
);

/**
 * `limit` is `root.child(<limits>).child($uid)`: the per-user override, which only the server
 * writes; then the writer's plan limit; then the default (docs/protocol.md §11.1). Written so that the
 * default stays the last number of `… .val() : N)`, where the tests and docs/protocol.md §2 find it.
 */
export function limitFor(uid: Expr, limit: Snap, defaultLimit: number): Expr {
  return named(
    `limitFor(${uid.formula})`,
    cond(and(not(limit.isNumber()), hasPlanLimit), planLimit, numberOr(limit, num(defaultLimit))),
  );
}

export function currentGeneration(generation: Snap): Expr {
  return named('currentGeneration', numberOr(generation, num(0)));
}

export function isNow(value: Expr): Expr {
  return named(`isNow(${value.formula})`, eq(value, now));
}

/** The lease ran out: three missed hourly renewals (docs/protocol.md §4.4, §4.10). */
export function leaseExpired(key: Expr, entry: Snap): Expr {
  return named(`leaseExpired(${key.formula})`, lt(entry.child('lastSeen').val(), minus(now, num(STALE_AFTER_MS))));
}

/** A liveness check was asked, its deadline passed, and the entry did not renew since (docs/protocol.md §4.9). */
export function missedPing(key: Expr, entry: Snap, ping: Snap): Expr {
  return named(
    `missedPing(${key.formula})`,
    and(
      ping.isNumber(),
      lt(entry.child('lastSeen').val(), ping.val()),
      ge(now, plus(ping.val(), num(PING_DEADLINE_MS))),
    ),
  );
}

export function isStaleEntry(key: Expr, entry: Snap, ping: Snap): Expr {
  return named(`isStaleEntry(${key.formula})`, or(leaseExpired(key, entry), missedPing(key, entry, ping)));
}

/** At the `ping` node: a new check only once the previous one's deadline has passed. */
export function noRecentPing(ping: Snap): Expr {
  return named('noRecentPing', or(not(ping.isNumber()), ge(now, plus(ping.val(), num(PING_DEADLINE_MS)))));
}

/**
 * At a claim: `rejoin` (a snapshot from `newData`, the reservation as the write leaves it) keeps one
 * free slot for another device than `op` (docs/protocol.md §4.11).
 */
export function rejoinHeldForOther(rejoin: Snap, op: Expr): Expr {
  return named(
    'rejoinHeldForOther',
    and(
      rejoin.exists(),
      ne(rejoin.child('deviceId').val(), op),
      lt(now, plus(rejoin.child('at').val(), num(REJOIN_WINDOW_MS))),
    ),
  );
}

/** At the `rejoin` node: the reservation in `rejoin` (from `data`) no longer holds a slot (docs/protocol.md §4.11). */
export function rejoinExpired(rejoin: Snap): Expr {
  return named('rejoinExpired', ge(now, plus(rejoin.child('at').val(), num(REJOIN_WINDOW_MS))));
}

export const isCreate = named('isCreate', and(not(data.exists()), newData.exists()));
export const isDelete = named('isDelete', and(data.exists(), not(newData.exists())));
export const isUpdate = named('isUpdate', and(data.exists(), newData.exists()));

export const isCompleteEntry = named('isCompleteEntry', newData.hasChildren(ENTRY_FIELDS));

/** At a device entry: field `field` keeps its value. */
export function unchanged(field: string): Expr {
  return named(`unchanged('${field}')`, eq(newData.child(field).val(), data.child(field).val()));
}

function matches(value: Expr, pattern: RegExp): Expr {
  return call(value, 'matches', regex(pattern));
}

/** At a node that must hold a deviceId (docs/protocol.md §3): `op`, an audit event's `deviceId`. */
export const isDeviceId = named('isDeviceId', and(newData.isString(), matches(newData.val(), DEVICE_ID_PATTERN)));

/** A `$deviceId` key matches the pattern (a key is always a string). */
export function deviceIdKey(key: Expr): Expr {
  return matches(key, DEVICE_ID_PATTERN);
}

/** `^(web|ios|…)$` from the configured platforms (validated to be plain words). */
export function platformPattern(platforms: readonly string[]): RegExp {
  return new RegExp(`^(${platforms.join('|')})$`);
}

export function isPlatform(platforms: readonly string[]): Expr {
  return named('isPlatform', and(newData.isString(), matches(newData.val(), platformPattern(platforms))));
}

export const isLabel = named(
  'isLabel',
  and(
    newData.isString(),
    ge(member(newData.val(), 'length'), num(LABEL_MIN_LENGTH)),
    le(member(newData.val(), 'length'), num(LABEL_MAX_LENGTH)),
  ),
);

export function isLimit(min: number, max: number): Expr {
  return named('isLimit', and(newData.isNumber(), ge(newData.val(), num(min)), le(newData.val(), num(max))));
}

/** One of a fixed set of words, as a regular expression (an audit event's `type`); `of` defaults to newData. */
export function isOneOf(words: readonly string[], of: Snap = newData): Expr {
  return and(of.isString(), matches(of.val(), new RegExp(`^(${words.join('|')})$`)));
}
