/**
 * Cloud Scheduler schedules the launcher can run periodically: the App Engine form
 * `every N seconds|minutes|mins|hours` and the unix-cron forms `* * * * *`, `*\/N * * * *` and
 * `0 *\/N * * *` (https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules).
 */
const APP_ENGINE_UNITS: Readonly<Record<string, number>> = {
  second: 1000,
  seconds: 1000,
  sec: 1000,
  secs: 1000,
  minute: 60_000,
  minutes: 60_000,
  min: 60_000,
  mins: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/** The period of a schedule this launcher can run, or null. */
export function schedulePeriodMs(schedule: string): number | null {
  const text = schedule.trim().toLowerCase();
  const every = /^every (\d+) ([a-z]+)$/.exec(text);
  if (every !== null) {
    const unit = APP_ENGINE_UNITS[every[2] as string];
    const count = Number(every[1]);
    return unit !== undefined && count > 0 ? count * unit : null;
  }
  if (text === '* * * * *') return 60_000;
  const minutes = /^\*\/(\d+) \* \* \* \*$/.exec(text);
  if (minutes !== null && Number(minutes[1]) > 0) return Number(minutes[1]) * 60_000;
  const hours = /^0 \*\/(\d+) \* \* \*$/.exec(text);
  if (hours !== null && Number(hours[1]) > 0) return Number(hours[1]) * 3_600_000;
  return null;
}
