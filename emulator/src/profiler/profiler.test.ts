/**
 * The profiler's bookkeeping: nothing is built while nobody listens, an operation's own event comes
 * before the events it caused, and subscriptions are per namespace.
 */
import type { ProfileEvent } from './events';
import { profileQuery } from './events';
import { Profiler } from './profiler';

const clock = { now: () => 1_000 };

test('with no subscriber, measure only runs the operation', () => {
  const profiler = new Profiler(clock);
  const describe = jest.fn(() => ({ name: 'realtime-write' as const }));
  expect(profiler.measure('ns', () => 42, describe)).toBe(42);
  expect(describe).not.toHaveBeenCalled();
  expect(profiler.isActive('ns')).toBe(false);
});

test("an operation's event comes first, then what it caused, in order; errors are reported and rethrown", () => {
  const profiler = new Profiler(clock);
  const events: ProfileEvent[] = [];
  profiler.subscribe('ns', (event) => events.push(event));
  profiler.measure(
    'ns',
    () => {
      profiler.measure(
        'ns',
        () => undefined,
        () => ({ name: 'listener-broadcast', path: ['a'] }),
      );
      profiler.record('ns', { name: 'listener-broadcast', path: ['b'] });
    },
    () => ({ name: 'realtime-write', path: ['a'] }),
  );
  expect(() =>
    profiler.measure(
      'ns',
      () => {
        throw new Error('boom');
      },
      (outcome) => ({ name: 'realtime-write', error: (outcome.error as Error).message }),
    ),
  ).toThrow('boom');
  expect(events.map(({ name, path, error }) => ({ name, path, error }))).toEqual([
    { name: 'realtime-write', path: ['a'], error: undefined },
    { name: 'listener-broadcast', path: ['a'], error: undefined },
    { name: 'listener-broadcast', path: ['b'], error: undefined },
    { name: 'realtime-write', path: undefined, error: 'boom' },
  ]);
  expect(events.every((event) => event.timestamp === 1_000 && event.millis >= 0)).toBe(true);
});

test('subscriptions are per namespace (null: every namespace) and end when unsubscribed', () => {
  const profiler = new Profiler(clock);
  const a: string[] = [];
  const all: string[] = [];
  const stopA = profiler.subscribe('a', (event) => a.push(event.path?.[0] ?? ''));
  profiler.subscribe(null, (event) => all.push(event.path?.[0] ?? ''));
  profiler.record('a', { name: 'rest-write', path: ['x'] });
  profiler.record('b', { name: 'rest-write', path: ['y'] });
  stopA();
  profiler.record('a', { name: 'rest-write', path: ['z'] });
  expect(a).toEqual(['x']);
  expect(all).toEqual(['x', 'y', 'z']);
  expect(profiler.subscriberCount).toBe(1);
});

test('a subscriber that throws does not break the operation', () => {
  const profiler = new Profiler(clock);
  profiler.subscribe('ns', () => {
    throw new Error('broken stream');
  });
  expect(
    profiler.measure(
      'ns',
      () => 'done',
      () => ({ name: 'realtime-read' }),
    ),
  ).toBe('done');
});

test.each([
  [{ i: 'a/b', l: 2, vf: 'l' as const }, { path: ['a', 'b'] }],
  [{ i: '.value' }, { value: true }],
  [{ i: '.key', sp: 'k' }, { key: true }],
  [{ l: 1, vf: 'r' as const }, { priority: true }],
])('the index of query %j is %j', (query, index) => {
  expect(profileQuery(query)).toEqual({ index, params: query });
});
