/** Time comes from an injected clock so tests can pin `now` and server timestamps. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
