/**
 * Closed-loop load: `lanes` loops that each run `operation` again as soon as it settles, until `ms`
 * have passed. Every benchmark phase is one of these, so the phases are bounded the same way.
 */
import { performance } from 'node:perf_hooks';

export interface TimedRun {
  /** milliseconds per operation, in completion order */
  readonly latencies: number[];
  readonly seconds: number;
}

export async function timedLoops(
  lanes: number,
  ms: number,
  operation: (lane: number, n: number) => Promise<unknown>,
): Promise<TimedRun> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const began = performance.now();
        await operation(lane, n);
        latencies.push(performance.now() - began);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - start) / 1000 };
}
