/**
 * Push ids as the SDK makes them (`core/util/NextPushId.ts`), used by REST POST.
 */
import { PushIdGenerator } from './push-id';

test('push ids are 20 characters and sort in creation order, also within one millisecond', () => {
  const generator = new PushIdGenerator({ now: () => 1_700_000_000_000 });
  const ids = Array.from({ length: 100 }, () => generator.next());
  expect(ids.every((id) => /^[-0-9A-Za-z_]{20}$/.test(id))).toBe(true);
  expect([...ids].sort()).toEqual(ids);
});
