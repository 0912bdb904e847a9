/**
 * The functions' parameters of a project configured away from every default, set in the environment
 * as the Functions emulator and Cloud Functions set them (from functions/.env) before the functions'
 * code loads. Import this module before anything that imports functions/src: the database triggers
 * take their paths when their module loads (functions/src/params.ts).
 */
export const CONFIGURED_PARAMS = {
  DEVICE_LIMIT_PRESENCE_PATH: 'sessions',
  DEVICE_LIMIT_LIMITS_PATH: 'deviceLimits',
  DEVICE_LIMIT_EVENTS_PATH: 'sessionEvents',
  DEVICE_LIMIT_DEFAULT: '3',
  DEVICE_LIMIT_PLATFORMS: 'web,tv',
} as const;

const previous = new Map<string, string | undefined>();
for (const [name, value] of Object.entries(CONFIGURED_PARAMS)) {
  previous.set(name, process.env[name]);
  process.env[name] = value;
}

/** Puts the environment back as it was (afterAll). */
export function restoreParams(): void {
  for (const [name, value] of previous) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
