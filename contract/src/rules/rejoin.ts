/**
 * The rules of `/presence/{uid}/rejoin` (docs/protocol.md §4.11): the slot the latest onDisconnect
 * release freed, kept for the device it names for REJOIN_WINDOW_MS. The count rule (presence.ts)
 * counts a live reservation of another device as a taken slot; these rules decide who may write it.
 */
import { type RuleEntry, location, rule } from './document';
import { At, type Expr, type PathKey, and, cond, data, eq, minus, newData, not, num, or, plus } from './expr';
import {
  REJOIN_FIELDS,
  countAfter,
  countBefore,
  entryAppears,
  entryDisappears,
  isDeviceId,
  isNow,
  isOwner,
  opValue,
  rejoinExpired,
} from './pieces';

const ONE = num(1);

/** `user(...keys)` is the path of `keys` under `/presence/$uid`; `$uid` the wildcard. */
export function rejoinRules(user: (...keys: readonly PathKey[]) => PathKey[], $uid: Expr): RuleEntry {
  const atRejoin = new At(user('rejoin'));
  const rejoinOp = opValue(atRejoin.newData(user('op')));
  const rejoinCountAfter = countAfter(atRejoin.newData(user('count')));
  const rejoinCountBefore = countBefore(atRejoin.data(user('count')));
  return location(
    'rejoin',
    undefined,
    rule(
      '.write',
      and(
        isOwner($uid),
        cond(
          newData.exists(),
          and(
            eq(newData.child('deviceId').val(), rejoinOp),
            eq(rejoinCountAfter, minus(rejoinCountBefore, ONE)),
            entryDisappears(
              rejoinOp,
              atRejoin.data(user('devices', rejoinOp)),
              atRejoin.newData(user('devices', rejoinOp)),
            ),
          ),
          or(
            not(data.exists()),
            and(
              eq(data.child('deviceId').val(), rejoinOp),
              eq(rejoinCountAfter, plus(rejoinCountBefore, ONE)),
              entryAppears(
                rejoinOp,
                atRejoin.data(user('devices', rejoinOp)),
                atRejoin.newData(user('devices', rejoinOp)),
              ),
            ),
            rejoinExpired(data),
          ),
        ),
      ),
      "The rejoin reservation (docs/protocol.md §4.11): written only with the release of the device it names (the onDisconnect release writes it; a newer one replaces an older one); removed by that device's own claim, or by anyone once it expired (or when there is none), so no other device can clear a reservation to take the slot.",
    ),
    rule(
      '.validate',
      newData.hasChildren(REJOIN_FIELDS),
      'Exactly { deviceId, at } (docs/protocol.md §2); checked as a whole so no field can be left out.',
    ),
    location(
      'deviceId',
      undefined,
      rule('.validate', isDeviceId, 'The device whose slot is kept (docs/protocol.md §3).'),
    ),
    location('at', undefined, rule('.validate', isNow(newData.val()), 'The server time of the release.')),
    location('$other', undefined, rule('.validate', false, 'No other field (docs/protocol.md §2).')),
  );
}
