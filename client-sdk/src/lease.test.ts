import { DEFAULT_LEASE_RENEWAL_MS, LEASE_RENEWAL_MS, MIN_LEASE_RENEWAL_MS } from './contract';
import { isDeviceLimitError } from './errors';
import { LeaseTimer, validateLeaseRenewal } from './lease';
import { systemTimers } from './timers';

describe('LeaseTimer (docs/protocol.md §4.4)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function make(intervalMs?: number) {
    let lease: LeaseTimer | null = null;
    const onDue = jest.fn(() => lease?.renewed()); // the owner renews, which restarts the interval
    lease = new LeaseTimer({ timers: systemTimers, onDue, ...(intervalMs === undefined ? {} : { intervalMs }) });
    return { lease, onDue };
  }

  it('is due once per hour by default, the first time a full hour after start', async () => {
    expect(DEFAULT_LEASE_RENEWAL_MS).toBe(LEASE_RENEWAL_MS);
    const { lease, onDue } = make();
    lease.start();
    await jest.advanceTimersByTimeAsync(LEASE_RENEWAL_MS - 1);
    expect(onDue).toHaveBeenCalledTimes(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(onDue).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(LEASE_RENEWAL_MS * 3);
    expect(onDue).toHaveBeenCalledTimes(4);
  });

  it('restarts the interval after any other renewal (a liveness answer, a resume)', async () => {
    const { lease, onDue } = make(10 * 60_000);
    lease.start();
    await jest.advanceTimersByTimeAsync(9 * 60_000);
    lease.renewed();
    await jest.advanceTimersByTimeAsync(10 * 60_000 - 1);
    expect(onDue).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(onDue).toHaveBeenCalledTimes(1);
  });

  it('renews on resume only when the interval is overdue (timers suspended in the background)', async () => {
    const { lease, onDue } = make(10 * 60_000);
    lease.start();
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    expect(lease.nudge()).toBe(false);
    // A suspended process: the clock moves, the alarm does not fire.
    jest.setSystemTime(Date.now() + 20 * 60_000);
    expect(lease.nudge()).toBe(true);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(lease.nudge()).toBe(false); // renewed just now
  });

  it('stops', async () => {
    const { lease, onDue } = make();
    lease.start();
    lease.stop();
    await jest.advanceTimersByTimeAsync(LEASE_RENEWAL_MS * 2);
    expect(onDue).not.toHaveBeenCalled();
    expect(lease.nudge()).toBe(false);
    expect(lease.isRunning).toBe(false);
  });

  it.each([0, MIN_LEASE_RENEWAL_MS - 1, LEASE_RENEWAL_MS + 1, Number.NaN])('refuses an interval of %p ms', (ms) => {
    expect(() => validateLeaseRenewal(ms)).toThrow(expect.objectContaining({ code: 'device-limit/invalid-argument' }));
    try {
      make(ms);
      throw new Error('accepted');
    } catch (error) {
      expect(isDeviceLimitError(error, 'device-limit/invalid-argument')).toBe(true);
    }
  });

  it.each([MIN_LEASE_RENEWAL_MS, LEASE_RENEWAL_MS])('accepts %p ms', (ms) => {
    expect(validateLeaseRenewal(ms)).toBe(ms);
  });
});
