import { HEARTBEAT_INTERVAL_MS } from './contract';
import { isDeviceLimitError } from './errors';
import { Heartbeat, RESUME_HEARTBEAT_MIN_GAP_MS } from './heartbeat';
import { systemTimers } from './timers';

describe('Heartbeat (§4.4)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function make(beat = jest.fn(() => Promise.resolve())) {
    const errors: unknown[] = [];
    const heartbeat = new Heartbeat({ timers: systemTimers, beat, onError: (e) => errors.push(e) });
    return { heartbeat, beat, errors };
  }

  it('beats every 5 minutes by default, the first one a full interval after start', async () => {
    const { heartbeat, beat } = make();
    heartbeat.start();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS - 1);
    expect(beat).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(beat).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 3);
    expect(beat).toHaveBeenCalledTimes(4);
  });

  it('beats on resume, but not twice within the minimum gap', async () => {
    const { heartbeat, beat } = make();
    heartbeat.start();
    expect(heartbeat.nudge()).toBe(false); // the claim just wrote lastSeen
    await jest.advanceTimersByTimeAsync(RESUME_HEARTBEAT_MIN_GAP_MS);
    expect(heartbeat.nudge()).toBe(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(heartbeat.nudge()).toBe(false);
    expect(beat).toHaveBeenCalledTimes(1);
  });

  it('restarts the interval after a resume beat', async () => {
    const { heartbeat, beat } = make();
    heartbeat.start();
    await jest.advanceTimersByTimeAsync(60_000);
    heartbeat.nudge();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS - 1);
    expect(beat).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(beat).toHaveBeenCalledTimes(2);
  });

  it('never overlaps two beats, and keeps its rhythm after a failure', async () => {
    let release!: () => void;
    const beat = jest
      .fn<Promise<void>, []>()
      .mockImplementationOnce(() => new Promise<void>((resolve) => (release = resolve)))
      .mockImplementationOnce(() => Promise.reject(new Error('PERMISSION_DENIED')))
      .mockImplementation(() => Promise.resolve());
    const { heartbeat, errors } = make(beat);
    heartbeat.start();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
    await jest.advanceTimersByTimeAsync(RESUME_HEARTBEAT_MIN_GAP_MS);
    expect(heartbeat.nudge()).toBe(false); // still in flight
    release();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
    expect(beat).toHaveBeenCalledTimes(2);
    expect(errors).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
    expect(beat).toHaveBeenCalledTimes(3);
  });

  it('stops', async () => {
    const { heartbeat, beat } = make();
    heartbeat.start();
    heartbeat.stop();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 2);
    expect(beat).not.toHaveBeenCalled();
    expect(heartbeat.nudge()).toBe(false);
  });

  it.each([0, 29_999, 5 * 60_000 + 1, Number.NaN])('refuses an interval of %p ms', (intervalMs) => {
    expect(() => new Heartbeat({ timers: systemTimers, beat: () => Promise.resolve(), intervalMs })).toThrow(
      expect.objectContaining({ code: 'device-limit/invalid-argument' }),
    );
    try {
      new Heartbeat({ timers: systemTimers, beat: () => Promise.resolve(), intervalMs });
    } catch (error) {
      expect(isDeviceLimitError(error, 'device-limit/invalid-argument')).toBe(true);
    }
  });
});
