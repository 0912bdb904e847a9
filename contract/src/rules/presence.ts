/**
 * The rules of `/presence/{uid}` (docs/protocol.md §2, §4): the counter, its entries, the liveness
 * check and the eviction notices. Split from build.ts only for size; `§N` is a section of
 * docs/protocol.md.
 */
import { MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from '../index';
import { type RuleEntry, indexOn, location, rule } from './document';
import {
  At,
  type PathKey,
  named,
  and,
  cond,
  data,
  eq,
  ge,
  identifier,
  le,
  lt,
  minus,
  newData,
  not,
  num,
  or,
  plus,
  str,
} from './expr';
import type { RulesOptions } from './options';
import { rejoinRules } from './rejoin';
import { accountFull, isReplace, policyRules, replacedRules } from './policies';
import { requestRules } from './requests';
import { admittedHere, shardNodeRules } from './shards';
import {
  claimClassCounted,
  classFull,
  classOf,
  classRules,
  entryClassRule,
  releaseClassCounted,
  replaceClassCounted,
} from './classes';
import {
  NOTICE_FIELDS,
  countAfter,
  countBefore,
  countMoves,
  currentGeneration,
  deviceIdKey,
  entryAppears,
  entryDisappears,
  hasPlanLimit,
  isCompleteEntry,
  isCreate,
  isDelete,
  isDeviceId,
  isLabel,
  isLimit,
  isNow,
  isOneOf,
  isOwner,
  isPlatform,
  isStaleEntry,
  isUpdate,
  limitFor,
  noRecentPing,
  opValue,
  passesForceLoginGate,
  planLimit,
  rejoinHeldForOther,
  unchanged,
} from './pieces';

const $uid = identifier('$uid');
const $deviceId = identifier('$deviceId');
const ONE = num(1);
/** The notice reasons a client may write (docs/protocol.md §4.10, §11.2); every other reason is the server's. */
const CLIENT_NOTICE_REASONS = ['swept', 'replaced'];
const ZERO = num(0);

export function presenceRules({ paths, defaultLimit, platforms }: RulesOptions): RuleEntry {
  const user = (...keys: readonly PathKey[]): PathKey[] => [paths.presence, $uid, ...keys];
  const limitOf = (at: At) => limitFor($uid, at.root([paths.limits, $uid]), defaultLimit);

  const atCount = new At(user('count'));
  const op = opValue(atCount.newData(user('op')));
  const count = location(
    'count',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        newData.exists(),
        atCount.newData(user('op')).isString(),
        or(
          and(
            eq(countAfter(newData), plus(countBefore(data), ONE)),
            entryAppears(op, atCount.data(user('devices', op)), atCount.newData(user('devices', op))),
          ),
          and(
            eq(countAfter(newData), minus(countBefore(data), ONE)),
            entryDisappears(op, atCount.data(user('devices', op)), atCount.newData(user('devices', op))),
          ),
        ),
      ),
      'Invariant 1, count == the number of entries (docs/protocol.md §1): count moves by exactly one, and only with the entry named by op appearing (a claim, §4.2) or disappearing (a release, §4.6). A release whose entry is already gone is refused, so an onDisconnect release that runs after an eviction does not count twice.',
    ),
    rule(
      '.validate',
      and(
        newData.isNumber(),
        ge(countAfter(newData), ZERO),
        or(
          lt(countAfter(newData), countBefore(data)),
          le(
            plus(countAfter(newData), cond(rejoinHeldForOther(atCount.newData(user('rejoin')), op), ONE, ZERO)),
            limitOf(atCount),
          ),
        ),
      ),
      'Invariant 2, count <= limit (docs/protocol.md §1, §2, §11.1): no claim takes count above the limit, and a claim by another device than the one a rejoin reservation names counts that reserved slot as taken (docs/protocol.md §4.11); a decrease is always allowed, so releases still work after an admin lowered the limit (docs/protocol.md §5.5). The decrease is tested first so that a release never evaluates the plan claim (a malformed one is an evaluation error). The default limit is the last number in this rule.',
    ),
  );

  const atOp = new At(user('op'));
  const opNode = location(
    'op',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        newData.isString(),
        or(countMoves(atOp.data(user('count')), atOp.newData(user('count'))), isReplace(atOp, user)),
      ),
      'op names the device of the claim or release it comes with, so it is only written together with a count move (docs/protocol.md §4.7), or in a replace, which swaps the entry it names for the one replaced names (docs/protocol.md §11.2).',
    ),
    rule('.validate', isDeviceId, 'op is a deviceId (docs/protocol.md §3).'),
  );

  const generation = location(
    'generation',
    undefined,
    rule(
      '.write',
      false,
      'Server only: a force login bumps it (docs/protocol.md §5.1); invariant 3 compares entries with it.',
    ),
    rule('.validate', and(newData.isNumber(), ge(newData.val(), ZERO)), 'An integer >= 0 (docs/protocol.md §2).'),
  );
  const notBefore = location(
    'notBefore',
    undefined,
    rule('.write', false, 'Server only: the force-login cut-off, in seconds like auth_time (docs/protocol.md §5.1).'),
    rule('.validate', newData.isNumber(), 'A number of seconds (docs/protocol.md §2).'),
  );
  const lastActive = location(
    'lastActive',
    undefined,
    rule(
      '.write',
      and(isOwner($uid), isNow(newData.val())),
      'Written with each claim and lease renewal, only as the server time, so the sweep finds users who went quiet (docs/protocol.md §4.4, §5.3).',
    ),
    rule('.validate', newData.isNumber(), 'Milliseconds (docs/protocol.md §2).'),
  );

  const planLimitNode = location(
    'planLimit',
    undefined,
    rule(
      '.write',
      and(isOwner($uid), cond(hasPlanLimit, eq(newData.val(), planLimit), not(newData.exists()))),
      "The server's copy of the plan limit (docs/protocol.md §11.1), for the operations that run without a token: a session writes its own token's claim, or removes the copy when its token carries none; no other value.",
    ),
    rule(
      '.validate',
      isLimit(MIN_DEVICE_LIMIT, MAX_DEVICE_LIMIT),
      'An integer within the limit bounds (docs/protocol.md §7).',
    ),
  );

  const rejoin = rejoinRules(user, $uid);

  const atPing = new At(user('ping'));
  const ping = location(
    'ping',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        isNow(newData.val()),
        passesForceLoginGate(atPing.data(user('notBefore'))),
        noRecentPing(data),
      ),
      "A liveness check (docs/protocol.md §4.9): stamped with the server time, by a session the force-login gate lets through, at most once per PING_DEADLINE_MS so no client can make the user's devices write in a loop.",
    ),
    rule('.validate', newData.isNumber(), 'Milliseconds (docs/protocol.md §2).'),
  );

  const atNotice = new At(user('evicted', $deviceId));
  const entryOfNotice = atNotice.data(user('devices', $deviceId));
  const notice = location(
    '$deviceId',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        or(
          not(newData.exists()),
          and(
            entryDisappears($deviceId, entryOfNotice, atNotice.newData(user('devices', $deviceId))),
            or(
              and(
                eq(newData.child('reason').val(), str('swept')),
                isStaleEntry($deviceId, entryOfNotice, atNotice.data(user('ping'))),
              ),
              and(
                eq(newData.child('reason').val(), str('replaced')),
                eq(atNotice.newData(user('replaced')).val(), $deviceId),
                isReplace(atNotice, user),
              ),
            ),
          ),
        ),
      ),
      "The owner may delete a notice, and write one only in the write that removes its entry: swept in the client sweep of a stale entry (docs/protocol.md §4.10: it missed a liveness check or its lease ran out), replaced in a replace that names it (docs/protocol.md §11.2). Every other notice is the server's (docs/protocol.md §4.8).",
    ),
    rule(
      '.validate',
      and(
        newData.hasChildren(NOTICE_FIELDS),
        isOneOf(CLIENT_NOTICE_REASONS, newData.child('reason')),
        isNow(newData.child('at').val()),
        eq(newData.child('generation').val(), currentGeneration(atNotice.data(user('generation')))),
      ),
      'A client-written notice is exactly { reason: swept or replaced, at: now, generation: the current one } (docs/protocol.md §4.10, §11.2); checked as a whole so no field can be left out.',
    ),
    location(
      'reason',
      undefined,
      rule(
        '.validate',
        isOneOf(CLIENT_NOTICE_REASONS),
        'Clients only sweep (docs/protocol.md §4.10) and replace (docs/protocol.md §11.2).',
      ),
    ),
    location('at', undefined, rule('.validate', isNow(newData.val()), 'The server time of the sweep.')),
    location(
      'generation',
      undefined,
      rule(
        '.validate',
        eq(newData.val(), currentGeneration(atNotice.child('generation').data(user('generation')))),
        'The generation the sweep happened in (docs/protocol.md §4.8).',
      ),
    ),
    location('$other', undefined, rule('.validate', false, 'No other field (docs/protocol.md §2).')),
  );

  const atEntry = new At(user('devices', $deviceId));
  const gate = passesForceLoginGate(atEntry.data(user('notBefore')));
  const opAfter = opValue(atEntry.newData(user('op')));
  const countAfterEntry = countAfter(atEntry.newData(user('count')));
  const countBeforeEntry = countBefore(atEntry.data(user('count')));
  const generationNow = currentGeneration(atEntry.data(user('generation')));
  // docs/protocol.md §11.3: the classes of the two entries of a replace, seen from the one being written.
  const victimOf = named('replaced', atEntry.newData(user('replaced')).val());
  const newClass = classOf($deviceId, newData);
  const victimClass = classOf(victimOf, atEntry.data(user('devices', victimOf)));
  const incomingClass = classOf(opAfter, atEntry.newData(user('devices', opAfter)));
  const entry = location(
    '$deviceId',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        or(
          and(
            isCreate,
            isCompleteEntry,
            gate,
            eq(opAfter, $deviceId),
            eq(countAfterEntry, plus(countBeforeEntry, ONE)),
            claimClassCounted(atEntry, user, $deviceId),
            eq(newData.child('generation').val(), generationNow),
            isNow(newData.child('claimedAt').val()),
            isNow(newData.child('lastSeen').val()),
          ),
          and(
            isCreate,
            isCompleteEntry,
            gate,
            eq(opAfter, $deviceId),
            isReplace(atEntry, user),
            accountFull(
              atEntry,
              user,
              limitOf(atEntry),
              $deviceId,
              and(eq(newClass, victimClass), classFull(atEntry, user, newClass)),
            ),
            replaceClassCounted(atEntry, user, newClass, victimClass, 'in'),
            eq(newData.child('generation').val(), generationNow),
            isNow(newData.child('claimedAt').val()),
            isNow(newData.child('lastSeen').val()),
          ),
          and(
            isDelete,
            eq(opAfter, $deviceId),
            eq(countAfterEntry, minus(countBeforeEntry, ONE)),
            releaseClassCounted(atEntry, user, $deviceId, data),
          ),
          and(
            isDelete,
            eq(atEntry.newData(user('replaced')).val(), $deviceId),
            isReplace(atEntry, user),
            eq(atEntry.newData(user('evicted', $deviceId, 'reason')).val(), str('replaced')),
            replaceClassCounted(atEntry, user, incomingClass, classOf($deviceId, data), 'out'),
          ),
          and(
            isUpdate,
            isCompleteEntry,
            gate,
            eq(data.child('generation').val(), generationNow),
            unchanged('generation'),
            unchanged('claimedAt'),
            unchanged('platform'),
            unchanged('class'),
            or(isNow(newData.child('lastSeen').val()), unchanged('lastSeen')),
          ),
        ),
      ),
      'Five ways to write an entry. A claim (docs/protocol.md §4.2) creates it with count + 1 and op == its id (invariant 1), in the current generation (invariant 3), stamped now, past the force-login gate; a replace (docs/protocol.md §11.2) creates it the same way on a full account, with count unchanged and the entry replaced names removed. A release (docs/protocol.md §4.6) removes it with count - 1 and op == its id; a replace removes the entry it names in replaced, with its replaced notice, while the entry op names appears. A renewal or label change (docs/protocol.md §4.4, §4.5) keeps claimedAt, generation and platform, and sets lastSeen only to now.',
    ),
    rule(
      '.validate',
      and(deviceIdKey($deviceId), isCompleteEntry, admittedHere(atEntry, user)),
      'The key is a deviceId (docs/protocol.md §3); all five fields (docs/protocol.md §2); a new entry only where the shard map admits this claim (R1, §10.2).',
    ),
    location(
      'claimedAt',
      undefined,
      rule(
        '.validate',
        and(newData.isNumber(), cond(data.exists(), eq(newData.val(), data.val()), isNow(newData.val()))),
        'Set to the server time at the claim; never changes (docs/protocol.md §2).',
      ),
    ),
    location(
      'lastSeen',
      undefined,
      rule(
        '.validate',
        and(newData.isNumber(), or(isNow(newData.val()), eq(newData.val(), data.val()))),
        'Only ever set to the server time (docs/protocol.md §4.4).',
      ),
    ),
    location(
      'generation',
      undefined,
      rule(
        '.validate',
        and(
          newData.isNumber(),
          cond(
            data.exists(),
            eq(newData.val(), data.val()),
            eq(newData.val(), currentGeneration(atEntry.child('generation').root(user('generation')))),
          ),
        ),
        'Invariant 3: the generation at claim time; never changes (docs/protocol.md §1, §2).',
      ),
    ),
    location(
      'platform',
      undefined,
      rule(
        '.validate',
        and(isPlatform(platforms), or(not(data.exists()), eq(newData.val(), data.val()))),
        'One of the configured platforms; never changes (docs/protocol.md §2).',
      ),
    ),
    location(
      'label',
      undefined,
      rule('.validate', isLabel, 'A display string, LABEL_MIN_LENGTH to LABEL_MAX_LENGTH long (docs/protocol.md §2).'),
    ),
    entryClassRule(),
    location('$other', undefined, rule('.validate', false, 'No other field (docs/protocol.md §2).')),
  );

  return location(
    paths.presence,
    `/${paths.presence}/{uid}: the user's device counter, entries and eviction notices (docs/protocol.md §2). Only the owner reads it; the server (firebase-admin) bypasses these rules and keeps the same invariants by construction (docs/protocol.md §5).`,
    location(
      '$uid',
      undefined,
      rule(
        '.read',
        isOwner($uid),
        'The owner reads the whole node: count, generation, entries, notices, ping (docs/protocol.md §4.1, §8).',
      ),
      count,
      opNode,
      generation,
      notBefore,
      lastActive,
      planLimitNode,
      ping,
      rejoin,
      replacedRules(user, isOwner($uid)),
      ...classRules(user, isOwner($uid)),
      ...requestRules(user, isOwner($uid), platforms),
      policyRules(),
      ...shardNodeRules(user, isOwner($uid)),
      location('evicted', 'Eviction notices (docs/protocol.md §4.8).', notice),
      location('devices', 'One entry per device holding a slot (docs/protocol.md §2).', entry),
      location(
        '$other',
        undefined,
        rule('.validate', false, 'No other child of the presence node (docs/protocol.md §2).'),
      ),
    ),
    indexOn(['lastActive'], 'The scheduled sweep queries orderByChild(lastActive) (docs/protocol.md §5.3).'),
  );
}
