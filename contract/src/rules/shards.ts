/**
 * The rules of a shard migration (docs/protocol.md §10.2, rules R1–R3): `/shardEpoch` on every
 * instance, and under `/presence/{uid}` the claim's `mapEpoch` and the fence `movedOut`. They are what
 * makes "no slot lost or doubled" hold while a user moves between instances: an instance the user has
 * left refuses their claims (R1) once a fence is written, and a fence is only written where the user
 * holds no entry (R2), so the user's entries are never on two instances at once (docs/protocol.md §10.3, "Why no slot
 * is lost or doubled"). A project that never changes its map has none of these fields, and every rule
 * below then accepts exactly the writes of docs/protocol.md §4. presence.ts adds {@link admittedHere} to the entry's
 * `.validate` and {@link shardNodeRules} to `/presence/{uid}`; build.ts adds {@link shardEpochRules}.
 */
import { MAP_EPOCH_FIELD, MOVED_OUT_FIELD, SHARD_EPOCH_PATH } from '../shard-map';
import { type RuleEntry, location, rule } from './document';
import {
  At,
  type Expr,
  type UserPath,
  type Snap,
  and,
  auth,
  cond,
  data,
  eq,
  ge,
  gt,
  identifier,
  le,
  lt,
  minus,
  mod,
  named,
  ne,
  newData,
  not,
  num,
  or,
} from './expr';
import { entryAppears, opValue } from './pieces';

const ZERO = num(0);
const ONE = num(1);

function isInteger(value: Expr): Expr {
  return eq(mod(value, ONE), ZERO);
}

/** `(s.isNumber() ? s.val() : 0)`: an absent epoch, map epoch or fence reads as 0 (docs/protocol.md §10.2). */
function epochOr0(s: Snap): Expr {
  return cond(s.isNumber(), s.val(), ZERO);
}

/** `shardEpoch`: this instance's `/shardEpoch`, the epoch of the current map; absent = 0 (docs/protocol.md §10.2). */
function shardEpoch(at: At): Expr {
  return named('shardEpoch', epochOr0(at.root([SHARD_EPOCH_PATH])));
}

/**
 * R1, at a device entry: a write that creates it is refused unless, after the write, the claim's map
 * epoch is this instance's epoch or the one before (`shardEpoch - 1 <= mapEpoch <= shardEpoch`, absent
 * = 0) and no fence of that epoch or a later one is here (`movedOut` absent or below `mapEpoch`).
 * Entries that already exist (renewals, label changes) pass: a fence is only ever written where there
 * are none (R2). `mapEpoch` is read after the write, so a claim that carries none (a client of docs/protocol.md §1–§9)
 * is judged by the one an earlier claim left (docs/protocol.md §10.6).
 */
export function admittedHere(atEntry: At, user: UserPath): Expr {
  const mapEpoch = named('mapEpoch', epochOr0(atEntry.newData(user(MAP_EPOCH_FIELD))));
  const movedOut = atEntry.newData(user(MOVED_OUT_FIELD));
  const epoch = shardEpoch(atEntry);
  return named(
    'admittedHere',
    or(
      data.exists(),
      and(
        le(minus(epoch, ONE), mapEpoch),
        le(mapEpoch, epoch),
        or(not(movedOut.exists()), lt(movedOut.val(), mapEpoch)),
      ),
    ),
  );
}

/** `/presence/{uid}/mapEpoch` (R3) and `/presence/{uid}/movedOut` (R2). */
export function shardNodeRules(user: UserPath, isOwner: Expr): RuleEntry[] {
  const atMapEpoch = new At(user(MAP_EPOCH_FIELD));
  const op = opValue(atMapEpoch.newData(user('op')));
  const mapEpoch = location(
    MAP_EPOCH_FIELD,
    undefined,
    rule(
      '.write',
      and(isOwner, entryAppears(op, atMapEpoch.data(user('devices', op)), atMapEpoch.newData(user('devices', op)))),
      'R3 (docs/protocol.md §10.2): the map epoch of a claim, written only in a claim or a replace (the entry op names appears), so it always says which map placed the latest entry here.',
    ),
    rule(
      '.validate',
      and(
        newData.isNumber(),
        isInteger(newData.val()),
        ge(newData.val(), minus(shardEpoch(atMapEpoch), ONE)),
        le(newData.val(), shardEpoch(atMapEpoch)),
      ),
      "R1's bounds (docs/protocol.md §10.2): this instance's epoch or the one before; a client two maps behind must fetch the configuration again.",
    ),
  );

  const atMovedOut = new At(user(MOVED_OUT_FIELD));
  const movedOut = location(
    MOVED_OUT_FIELD,
    undefined,
    rule(
      '.write',
      and(
        isOwner,
        not(atMovedOut.data(user('devices')).exists()),
        not(atMovedOut.newData(user('devices')).exists()),
        newData.isNumber(),
        gt(newData.val(), epochOr0(data)),
        le(newData.val(), shardEpoch(atMovedOut)),
      ),
      "R2 (docs/protocol.md §10.2, §10.3): the fence that closes this instance for the user's claims of this epoch and older. Written only while the user holds no entry here, before and after the write (so it never strands a live device), only upwards and at most to this instance's epoch; nothing removes or lowers it.",
    ),
    rule(
      '.validate',
      and(newData.isNumber(), isInteger(newData.val()), ge(newData.val(), ONE)),
      'An integer >= 1: an epoch a map moved the user out at (docs/protocol.md §10.2).',
    ),
  );
  return [mapEpoch, movedOut];
}

/** `/shardEpoch`: the epoch of the current shard map on this instance (docs/protocol.md §10.2, §10.5 step 2). */
export function shardEpochRules(): RuleEntry {
  return location(
    SHARD_EPOCH_PATH,
    `/${SHARD_EPOCH_PATH}: the epoch of the current shard map on this instance (docs/protocol.md §10.2); absent = 0.`,
    rule(
      '.read',
      ne(auth, identifier('null')),
      'Any signed-in user: a client tells from it that its map is out of date (docs/protocol.md §10.3 step 4).',
    ),
    rule(
      '.write',
      false,
      'Server only: the operator opens an epoch on every instance (docs/protocol.md §10.5 step 2).',
    ),
    rule(
      '.validate',
      and(newData.isNumber(), isInteger(newData.val()), ge(newData.val(), ZERO)),
      'An integer >= 0 (docs/protocol.md §10.2).',
    ),
  );
}
