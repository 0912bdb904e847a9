/**
 * `buildRules(options)`: the Realtime Database rules of docs/protocol.md (version 2) from the typed
 * contract. Every expression is put together from the named pieces of pieces.ts, and every rule
 * carries the invariant it keeps, which the generated file prints above it. `§N` in the texts below
 * is a section of docs/protocol.md.
 */
import { AUDIT_EVENT_TYPES, AUDIT_REASON_MAX_LENGTH, MAX_DEVICE_LIMIT, MIN_DEVICE_LIMIT } from '../index';
import { type RuleEntry, type RuleObject, location, rule } from './document';
import { At, and, eq, identifier, le, member, named, newData, num, or, str } from './expr';
import { type RulesOptions, type RulesOptionsInput, resolveRulesOptions } from './options';
import {
  EVENT_REQUIRED_FIELDS,
  entryAppears,
  entryDisappears,
  isCreate,
  isDeviceId,
  isLimit,
  isNow,
  isOneOf,
  isOwner,
  passesForceLoginGate,
} from './pieces';
import { presenceRules } from './presence';
import { shardEpochRules } from './shards';

const $uid = identifier('$uid');

/** Audit events a client may write; `evicted` is the server's alone (docs/protocol.md §6). */
const CLIENT_EVENT_TYPES = AUDIT_EVENT_TYPES.filter((type) => type !== 'evicted');

export interface BuiltRules {
  readonly options: RulesOptions;
  /** our top-level locations, in order: presence, limits, presenceEvents, shardEpoch (and the example app path) */
  readonly roots: readonly RuleEntry[];
}

/** Our rules for `options` (defaults from the contract); throws RulesOptionsError for bad options. */
export function buildRules(input: RulesOptionsInput = {}): BuiltRules {
  const options = resolveRulesOptions(input);
  const roots = [presenceRules(options), limitsRules(options), eventsRules(options), shardEpochRules()];
  if (options.appDataPath !== undefined) roots.push(appDataRules(options, options.appDataPath));
  return { options, roots };
}

/** A standalone rules object: deny by default, then ours. What `rules generate` writes. */
export function standaloneRules(built: BuiltRules): RuleObject {
  return {
    entries: [
      rule('.read', false, 'Deny by default: nothing is readable or writable unless a rule below grants it.'),
      rule(
        '.write',
        false,
        'Read and write rules cascade (a grant here would grant everything below, whatever the rules there say), so both stay false.',
      ),
      ...built.roots,
    ],
  };
}

function limitsRules({ paths }: RulesOptions): RuleEntry {
  return location(
    paths.limits,
    `/${paths.limits}/{uid}: a per-user limit set by an admin (docs/protocol.md §2, §5.5).`,
    location(
      '$uid',
      undefined,
      rule('.read', isOwner($uid), 'The owner reads their limit (docs/protocol.md §8).'),
      rule('.write', false, 'Server only: setDeviceLimit or an admin (docs/protocol.md §5.5).'),
      rule(
        '.validate',
        isLimit(MIN_DEVICE_LIMIT, MAX_DEVICE_LIMIT),
        'An integer within the limit bounds (docs/protocol.md §7).',
      ),
    ),
  );
}

function eventsRules({ paths }: RulesOptions): RuleEntry {
  const atEvent = new At([paths.presenceEvents, $uid, identifier('$eventId')]);
  const deviceId = newData.child('deviceId').val();
  const key = { ...deviceId, formula: 'deviceId' };
  const entryPath = [paths.presence, $uid, 'devices', deviceId];
  // Shown as `type == 'claimed'` in the comment: the field is the event's own.
  const typeIs = (type: string) => named(`type == '${type}'`, eq(newData.child('type').val(), str(type)));
  return location(
    paths.presenceEvents,
    `/${paths.presenceEvents}/{uid}/{pushId}: the audit trail (docs/protocol.md §6).`,
    location(
      '$uid',
      undefined,
      rule('.read', isOwner($uid), 'The owner reads their audit trail (docs/protocol.md §8).'),
      location(
        '$eventId',
        undefined,
        rule(
          '.write',
          and(isOwner($uid), isCreate),
          'The owner appends events; none is changed or deleted by a client (docs/protocol.md §6).',
        ),
        rule(
          '.validate',
          and(
            newData.hasChildren(EVENT_REQUIRED_FIELDS),
            or(
              typeIs('denied'),
              and(typeIs('claimed'), entryAppears(key, atEvent.root(entryPath), atEvent.newData(entryPath))),
              and(
                or(typeIs('released'), typeIs('swept')),
                entryDisappears(key, atEvent.root(entryPath), atEvent.newData(entryPath)),
              ),
            ),
          ),
          'An event matches the write it comes with (§6): claimed only where the entry of deviceId appears, released and swept only where it disappears; denied records a refused claim.',
        ),
        location(
          'type',
          undefined,
          rule(
            '.validate',
            isOneOf(CLIENT_EVENT_TYPES),
            "The types a client writes; evicted is the server's (docs/protocol.md §6).",
          ),
        ),
        location('deviceId', undefined, rule('.validate', isDeviceId, 'A deviceId (docs/protocol.md §3).')),
        location(
          'reason',
          undefined,
          rule(
            '.validate',
            and(newData.isString(), le(member(newData.val(), 'length'), num(AUDIT_REASON_MAX_LENGTH))),
            'At most AUDIT_REASON_MAX_LENGTH characters (docs/protocol.md §6).',
          ),
        ),
        location('at', undefined, rule('.validate', isNow(newData.val()), 'The server time of the operation.')),
        location('$other', undefined, rule('.validate', false, 'No other field (docs/protocol.md §6).')),
      ),
    ),
  );
}

/** docs/security.md, "The force-login gate": the example of gating an app's own data. */
function appDataRules({ paths }: RulesOptions, appDataPath: string): RuleEntry {
  const at = new At([appDataPath, $uid]);
  const gated = and(isOwner($uid), passesForceLoginGate(at.root([paths.presence, $uid, 'notBefore'])));
  return location(
    appDataPath,
    `/${appDataPath}/{uid}: example app data, owner-only behind the force-login gate (docs/security.md): a session cut off by a force login can neither read nor write it.`,
    location(
      '$uid',
      undefined,
      rule('.read', gated, 'The owner, unless a force login cut this session off.'),
      rule('.write', gated, 'The same gate for writes.'),
    ),
  );
}
