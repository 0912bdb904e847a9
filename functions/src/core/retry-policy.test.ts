import { MAX_EVENT_AGE_MS, isEventTooOld } from './retry-policy';

describe('isEventTooOld', () => {
  const now = Date.parse('2025-01-01T00:00:00.000Z');
  it.each([
    [new Date(now).toISOString(), false],
    [new Date(now - MAX_EVENT_AGE_MS).toISOString(), false],
    [new Date(now - MAX_EVENT_AGE_MS - 1).toISOString(), true],
    [undefined, false],
    ['not a time', false],
  ])('%p -> %p', (time, expected) => {
    expect(isEventTooOld(time, now)).toBe(expected);
  });
});
