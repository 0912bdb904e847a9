/**
 * The pure decisions of docs/protocol.md §4.9 and §4.10 against a fake server clock: when to ping,
 * when the deadline passed, which entries may be swept, when a holder answers.
 */
import { PING_DEADLINE_MS, STALE_AFTER_MS } from './contract';
import {
  CHECK_MARGIN_MS,
  checkDeadline,
  decidePing,
  entriesToSweep,
  everyHolderAnswered,
  leaseExpired,
  missedPing,
  pingToAnswer,
  pruneTried,
  sweepKey,
} from './liveness';
import { EMPTY_PRESENCE, type DeviceEntry, type PresenceView } from './presence';

const NOW = 1_800_000_000_000;
const SELF = 'selfDevice01';

function entry(deviceId: string, lastSeen: number): DeviceEntry {
  return { deviceId, lastSeen, claimedAt: lastSeen, generation: 0, platform: 'web', label: deviceId };
}

function view(entries: DeviceEntry[], ping: number | null = null): PresenceView {
  return { ...EMPTY_PRESENCE, count: entries.length, ping, devices: new Map(entries.map((e) => [e.deviceId, e])) };
}

const ids = (entries: readonly DeviceEntry[]) => entries.map((e) => e.deviceId);

describe('decidePing (docs/protocol.md §4.9 step 1)', () => {
  it.each([
    ['no ping ever', null, { kind: 'ask' }],
    ['a ping 1 ms ago', NOW - 1, { kind: 'wait', ping: NOW - 1 }],
    ['a ping just inside the deadline', NOW - PING_DEADLINE_MS + 1, { kind: 'wait', ping: NOW - PING_DEADLINE_MS + 1 }],
    ['a ping exactly one deadline ago (the rules accept a new one)', NOW - PING_DEADLINE_MS, { kind: 'ask' }],
    ['an old ping', NOW - 3_600_000, { kind: 'ask' }],
  ])('%s', (_name, ping, expected) => {
    expect(decidePing(view([], ping), NOW)).toEqual(expected);
  });

  it('puts the deadline one margin past ping + PING_DEADLINE_MS', () => {
    expect(checkDeadline(NOW)).toBe(NOW + PING_DEADLINE_MS + CHECK_MARGIN_MS);
  });
});

describe('pingToAnswer (docs/protocol.md §4.9 step 2)', () => {
  it.each([
    ['a ping newer than its lastSeen', NOW, NOW - 1, null, NOW],
    ['the same ping again', NOW, NOW - 1, NOW, null],
    ['a ping it already renewed past', NOW, NOW, null, null],
    ['no ping', null, NOW, null, null],
  ])('%s', (_name, ping, lastSeen, answered, expected) => {
    expect(pingToAnswer(view([entry(SELF, lastSeen)], ping), SELF, answered)).toBe(expected);
  });

  it('does not answer for an entry it does not have', () => {
    expect(pingToAnswer(view([entry('otherDevice1', 0)], NOW), SELF, null)).toBeNull();
  });
});

describe('which entries may be swept (docs/protocol.md §4.10)', () => {
  const expiry = NOW - STALE_AFTER_MS - CHECK_MARGIN_MS;

  it.each([
    ['lease ran out (one ms past the margin)', expiry - 1, true],
    ['exactly at the margin', expiry, false],
    ['renewed an hour ago', NOW - 3_600_000, false],
  ])('leaseExpired: %s', (_name, lastSeen, expected) => {
    expect(leaseExpired(entry('e1234567', lastSeen), NOW)).toBe(expected);
  });

  it.each([
    ['silent, deadline passed', NOW - 20_000, NOW - PING_DEADLINE_MS - CHECK_MARGIN_MS, true],
    ['silent, deadline not passed yet', NOW - 20_000, NOW - PING_DEADLINE_MS, false],
    ['renewed after the ping', NOW - 1, NOW - PING_DEADLINE_MS - CHECK_MARGIN_MS, false],
    ['answered (lastSeen == ping is not older)', NOW - 20_000, NOW - 20_000, false],
    ['no ping', NOW - 1, null, false],
  ])('missedPing: %s', (_name, lastSeen, ping, expected) => {
    expect(missedPing(entry('e1234567', lastSeen), ping, NOW)).toBe(expected);
  });

  const ping = NOW - PING_DEADLINE_MS - CHECK_MARGIN_MS;
  const presence = view(
    [
      entry('answered', ping + 5),
      entry('silentAAA', ping - 10),
      entry('expiredBB', expiry - 1),
      entry(SELF, ping - 20), // itself, however stale
    ],
    ping,
  );

  it('after a ping: the silent and the expired, oldest first, never itself', () => {
    expect(ids(entriesToSweep(presence, { now: NOW, self: SELF, tried: new Set(), afterPing: true }))).toEqual([
      'expiredBB',
      'silentAAA',
    ]);
  });

  it('a holder: only the expired', () => {
    expect(ids(entriesToSweep(presence, { now: NOW, self: SELF, tried: new Set(), afterPing: false }))).toEqual([
      'expiredBB',
    ]);
  });

  it('each candidate at most once: tried keys are skipped, a renewed entry is a new candidate', () => {
    const tried = new Set([sweepKey(entry('expiredBB', expiry - 1))]);
    expect(ids(entriesToSweep(presence, { now: NOW, self: SELF, tried, afterPing: false }))).toEqual([]);
    const renewedThenExpired = view([entry('expiredBB', expiry - 2)]);
    expect(ids(entriesToSweep(renewedThenExpired, { now: NOW, self: SELF, tried, afterPing: false }))).toEqual([
      'expiredBB',
    ]);
  });

  it('forgets tried keys of entries that left or renewed', () => {
    const tried = new Set([sweepKey(entry('silentAAA', ping - 10)), sweepKey(entry('goneDevice', 5))]);
    expect([...pruneTried(tried, presence)]).toEqual([sweepKey(entry('silentAAA', ping - 10))]);
    const kept = new Set([sweepKey(entry('silentAAA', ping - 10))]);
    expect(pruneTried(kept, presence)).toBe(kept);
  });
});

describe('everyHolderAnswered (docs/protocol.md §4.9)', () => {
  it.each([
    ['all renewed after the ping', [NOW + 1, NOW], true],
    ['one still older', [NOW + 1, NOW - 1], false],
    ['no other holder', [], true],
  ])('%s', (_name, lastSeens, expected) => {
    const entries = lastSeens.map((lastSeen, i) => entry(`holder${i}xyz`, lastSeen));
    expect(everyHolderAnswered(view([...entries, entry(SELF, 0)], NOW), NOW, SELF)).toBe(expected);
  });
});
