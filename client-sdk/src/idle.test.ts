import { IdleTimer } from './idle';
import { systemTimers, type Timers } from './timers';

describe('IdleTimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const MINUTE = 60_000;

  function make(timeoutMs = 10 * MINUTE) {
    const onIdle = jest.fn();
    const onActive = jest.fn();
    // Count armed timeouts to show the timer is event-driven, not polling.
    let armed = 0;
    const timers: Timers = {
      ...systemTimers,
      setTimeout: (callback, ms) => {
        armed++;
        return systemTimers.setTimeout(callback, ms);
      },
    };
    const idle = new IdleTimer({ timers, timeoutMs, onIdle, onActive });
    return { idle, onIdle, onActive, armed: () => armed };
  }

  it('fires once after the timeout without activity', () => {
    const { idle, onIdle, armed } = make();
    idle.start();
    jest.advanceTimersByTime(10 * MINUTE - 1);
    expect(onIdle).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(60 * MINUTE);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(armed()).toBe(1);
    expect(idle.isIdle).toBe(true);
  });

  it('counts from the last activity, re-arming only for the remainder', () => {
    const { idle, onIdle, armed } = make();
    idle.start();
    jest.advanceTimersByTime(4 * MINUTE);
    for (let i = 0; i < 1000; i++) idle.activity(); // a burst of pointermove costs no timer
    expect(armed()).toBe(1);
    jest.advanceTimersByTime(6 * MINUTE); // the first alarm: 6 min quiet, re-arm for 4
    expect(onIdle).not.toHaveBeenCalled();
    expect(armed()).toBe(2);
    jest.advanceTimersByTime(4 * MINUTE);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('reports the first activity after idling, and can go idle again', () => {
    const { idle, onIdle, onActive } = make();
    idle.start();
    jest.advanceTimersByTime(10 * MINUTE);
    idle.activity();
    idle.activity();
    expect(onActive).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * MINUTE);
    expect(onIdle).toHaveBeenCalledTimes(2);
  });

  it('does nothing once stopped', () => {
    const { idle, onIdle, onActive } = make();
    idle.start();
    idle.stop();
    idle.activity();
    jest.advanceTimersByTime(60 * MINUTE);
    expect(onIdle).not.toHaveBeenCalled();
    expect(onActive).not.toHaveBeenCalled();
  });

  it('refuses a non-positive timeout', () => {
    expect(() => make(0)).toThrow(expect.objectContaining({ code: 'device-limit/invalid-argument' }));
  });
});
