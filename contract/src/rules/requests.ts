/**
 * Sign-in approval (docs/protocol.md §11.4): the request slots `/presence/{uid}/requests/{r0..r2}` and
 * the rate limit `requestedAt`. A device that meets a full account leaves a request; an active device
 * answers it, and an approval comes in the same write that gives the requester its entry (a replace,
 * §11.2, or a claim made for it when a slot is free). presence.ts adds these nodes to `/presence/{uid}`.
 */
import { MAX_PENDING_REQUESTS, REQUEST_ANSWERS, REQUEST_INTERVAL_MS, REQUEST_SLOTS, REQUEST_TTL_MS } from '../policies';
import { type RuleEntry, location, rule } from './document';
import {
  At,
  type Expr,
  type UserPath,
  type Snap,
  and,
  call,
  data,
  eq,
  ge,
  identifier,
  lt,
  minus,
  named,
  ne,
  newData,
  not,
  now,
  num,
  or,
  plus,
  regex,
  str,
} from './expr';
import { entryClassRule } from './classes';
import { entryAppears, isDeviceId, isLabel, isNow, isOneOf, isPlatform, passesForceLoginGate } from './pieces';

const $slot = identifier('$slot');
const REQUEST_FIELDS = ['deviceId', 'label', 'platform', 'at'];

/** `requestExpired(r)`: the request in `r` (which exists) is REQUEST_TTL_MS old (docs/protocol.md §11.4). */
function requestExpired(request: Snap): Expr {
  return named('requestExpired', lt(request.child('at').val(), minus(now, num(REQUEST_TTL_MS))));
}

/** `requestOpen(r)`: a request is there and has not expired. */
function requestOpen(request: Snap): Expr {
  return and(request.exists(), not(requestExpired(request)));
}

/** `noRecentRequest`: no request was made, or the last one is REQUEST_INTERVAL_MS old (docs/protocol.md §11.4). */
function noRecentRequest(requestedAt: Snap): Expr {
  return named(
    'noRecentRequest',
    or(not(requestedAt.isNumber()), ge(now, plus(requestedAt.val(), num(REQUEST_INTERVAL_MS)))),
  );
}

function unchanged(field: string): Expr {
  return eq(newData.child(field).val(), data.child(field).val());
}

export function requestRules(user: UserPath, isOwner: Expr, platforms: readonly string[]): RuleEntry[] {
  const at = new At(user('requests', $slot));
  const gate = passesForceLoginGate(at.data(user('notBefore')));
  const requester = named('requester', newData.child('deviceId').val());
  const answeredBy = newData.child('answeredBy').val();
  const requesterEntry = (which: 'data' | 'newData') => at[which](user('devices', requester));

  // A new request in a free (or expired) slot, by a device that holds no slot and has no other open
  // request, at most one per REQUEST_INTERVAL_MS for the user.
  const create = and(
    newData.child('deviceId').isString(),
    or(not(data.exists()), requestExpired(data)),
    not(newData.child('answer').exists()),
    isNow(newData.child('at').val()),
    gate,
    not(requesterEntry('data').exists()),
    ...REQUEST_SLOTS.map((slot) => {
      const other = at.data(user('requests', slot));
      return or(not(other.exists()), ne(other.child('deviceId').val(), requester), requestExpired(other));
    }),
    isNow(at.newData(user('requestedAt')).val()),
    noRecentRequest(at.data(user('requestedAt'))),
  );

  // The answer of an active device: once, before the request expires, naming a device that holds a
  // slot. An approval comes with the requester's entry, as its request describes it.
  const answer = and(
    requestOpen(data),
    not(data.child('answer').exists()),
    ...['deviceId', 'label', 'platform', 'class', 'at'].map(unchanged),
    gate,
    newData.child('answeredBy').isString(),
    at.data(user('devices', answeredBy)).exists(),
    isNow(newData.child('answeredAt').val()),
    or(
      eq(newData.child('answer').val(), str('refused')),
      and(
        eq(newData.child('answer').val(), str('approved')),
        entryAppears(requester, requesterEntry('data'), requesterEntry('newData')),
        eq(requesterEntry('newData').child('platform').val(), data.child('platform').val()),
        eq(requesterEntry('newData').child('label').val(), data.child('label').val()),
      ),
    ),
  );

  const requests = location(
    'requests',
    'Sign-in requests (docs/protocol.md §11.4).',
    location(
      '$slot',
      undefined,
      rule(
        '.write',
        and(isOwner, or(not(newData.exists()), create, answer)),
        'A request (docs/protocol.md §11.4): made by a device that holds no slot, in a free or expired slot, with no other open request of its own, at most once per REQUEST_INTERVAL_MS; answered once by a device that holds a slot, before it expires, an approval only together with the requester entry; deleted by any session of the user (cleanup, withdrawal).',
      ),
      rule(
        '.validate',
        and(
          call($slot, 'matches', regex(new RegExp(`^r[0-${MAX_PENDING_REQUESTS - 1}]$`))),
          newData.hasChildren(REQUEST_FIELDS),
        ),
        'One of MAX_PENDING_REQUESTS slots; deviceId, label, platform and at present.',
      ),
      location('deviceId', undefined, rule('.validate', isDeviceId, 'The requesting device (docs/protocol.md §3).')),
      location('label', undefined, rule('.validate', isLabel, 'As an entry label (docs/protocol.md §2).')),
      location(
        'platform',
        undefined,
        rule('.validate', isPlatform(platforms), 'As an entry platform (docs/protocol.md §2).'),
      ),
      entryClassRule(),
      location('at', undefined, rule('.validate', newData.isNumber(), 'The server time of the request.')),
      location('answer', undefined, rule('.validate', isOneOf(REQUEST_ANSWERS), 'approved or refused.')),
      location('answeredBy', undefined, rule('.validate', isDeviceId, 'The device that answered.')),
      location('answeredAt', undefined, rule('.validate', newData.isNumber(), 'The server time of the answer.')),
      location('$other', undefined, rule('.validate', false, 'No other field (docs/protocol.md §11.4).')),
    ),
  );
  const requestedAt = location(
    'requestedAt',
    undefined,
    rule(
      '.write',
      and(isOwner, isNow(newData.val()), noRecentRequest(data)),
      'The server time of the latest request (docs/protocol.md §11.4): at most one per REQUEST_INTERVAL_MS, so no device can flood the others with requests.',
    ),
    rule('.validate', newData.isNumber(), 'Milliseconds.'),
  );
  return [requests, requestedAt];
}
