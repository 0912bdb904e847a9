import { DEFAULT_DEVICE_LIMIT, evictionReasonFromNotice, isValidDeviceId, resolveLabel } from './contract';
import { limitFromValue, listDeviceEntries, presenceFromValue } from './presence';
import { decodeState, encodeState, parseTabMessage } from './tab-messages';
import { DeviceLimitError } from './errors';

describe('presenceFromValue', () => {
  it('reads the documented node (docs/protocol.md §2)', () => {
    const view = presenceFromValue({
      count: 2,
      op: 'bbbbbbbb',
      generation: 3,
      notBefore: 1700000000,
      devices: {
        bbbbbbbb: { claimedAt: 20, lastSeen: 25, generation: 3, platform: 'ios', label: 'iPhone' },
        aaaaaaaa: { claimedAt: 10, lastSeen: 30, generation: 3, platform: 'web', label: 'Chrome on macOS' },
      },
      evicted: { cccccccc: { reason: 'signed-out', at: 15, generation: 3 } },
      ping: 27,
      lastActive: 30,
    });
    expect(view.ping).toBe(27);
    expect(view.count).toBe(2);
    expect(view.generation).toBe(3);
    expect(view.notBefore).toBe(1700000000);
    expect(view.evicted.get('cccccccc')).toEqual({ reason: 'signed-out', at: 15, generation: 3 });
    expect(listDeviceEntries(view, 'bbbbbbbb').map((d) => [d.deviceId, d.current])).toEqual([
      ['aaaaaaaa', false],
      ['bbbbbbbb', true],
    ]);
  });

  it.each([null, 'text', 42, []])('treats %p as no presence', (value) => {
    const view = presenceFromValue(value);
    expect([view.count, view.generation, view.devices.size, view.notBefore, view.ping]).toEqual([0, 0, 0, null, null]);
  });

  it('tolerates malformed entries without crashing', () => {
    const view = presenceFromValue({ devices: { x: 'nope', yyyyyyyy: { claimedAt: 'soon' } }, evicted: { z: 3 } });
    expect([...view.devices.keys()]).toEqual(['yyyyyyyy']);
    expect(view.devices.get('yyyyyyyy')?.claimedAt).toBe(0);
    expect(view.evicted.size).toBe(0);
    expect(presenceFromValue({ ping: 'now' }).ping).toBeNull();
  });

  it('takes the limit from /limits/{uid} or the default', () => {
    expect(limitFromValue(5, DEFAULT_DEVICE_LIMIT)).toBe(5);
    expect(limitFromValue(null, DEFAULT_DEVICE_LIMIT)).toBe(2);
  });
});

describe('contract helpers', () => {
  it.each([
    ['abcdefgh', true],
    ['A_b-0123456789', true],
    ['a'.repeat(64), true],
    ['short', false],
    ['a'.repeat(65), false],
    ['has/slash', false],
    ['has.dot1', false],
    [42, false],
  ])('isValidDeviceId(%p) is %p', (value, expected) => {
    expect(isValidDeviceId(value)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['\t\n', 'whitespace only'],
    ['x'.repeat(65), 'longer than 64'],
    ['x'.repeat(63) + '😀', '65 UTF-16 code units (the rules count code units)'],
  ])('refuses the label %j (%s) with invalid-argument instead of changing it', (label) => {
    expect(() => resolveLabel(label, 'web')).toThrow(
      expect.objectContaining({ code: 'device-limit/invalid-argument', message: expect.stringContaining('label') }),
    );
  });

  it('keeps a valid label exactly as given, and defaults only when it is left out', () => {
    expect(resolveLabel('x'.repeat(64), 'web')).toBe('x'.repeat(64));
    expect(resolveLabel(' Work laptop ', 'web')).toBe(' Work laptop ');
    expect(resolveLabel(undefined, 'ios')).toBe('ios');
    // Only our own default is shortened, never by half a surrogate pair.
    expect(resolveLabel(undefined, 'x'.repeat(100))).toHaveLength(64);
    expect(resolveLabel(undefined, 'x'.repeat(63) + '😀')).toBe('x'.repeat(63));
  });

  it('maps notice reasons to the reasons apps see', () => {
    expect(evictionReasonFromNotice('signed-out')).toBe('signed-out-remotely');
    expect(evictionReasonFromNotice('swept')).toBe('swept-stale');
    expect(evictionReasonFromNotice('something-new')).toBe('signed-out-remotely');
  });
});

describe('tab messages', () => {
  it('carry a released error across JSON as a DeviceLimitError', () => {
    const error = new DeviceLimitError('device-limit/claim-failed', 'nope');
    const wire = JSON.parse(
      JSON.stringify(encodeState({ status: 'released', deviceId: 'aaaaaaaa', reason: 'error', error })),
    );
    const state = decodeState(wire);
    expect(state?.status === 'released' && state.error).toBeInstanceOf(DeviceLimitError);
    expect(state?.status === 'released' && state.error?.code).toBe('device-limit/claim-failed');
  });

  it('carry the checking state', () => {
    const state = { status: 'checking', deviceId: 'aaaaaaaa', devices: [], limit: 2 } as const;
    expect(decodeState(JSON.parse(JSON.stringify(encodeState(state))))).toEqual(state);
  });

  it('reject anything that is not one of ours', () => {
    expect(parseTabMessage({ type: 'device-limit:command', command: 'format-disk' })).toBeNull();
    expect(parseTabMessage('hello')).toBeNull();
    expect(decodeState({ status: 'weird' })).toBeNull();
    expect(parseTabMessage({ type: 'device-limit:command', command: 'release' })).toEqual({
      type: 'device-limit:command',
      command: 'release',
    });
  });
});
