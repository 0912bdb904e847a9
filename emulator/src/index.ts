/**
 * A pure-Node Realtime Database emulator that the unmodified `firebase`, `firebase-admin` and
 * `@firebase/rules-unit-testing` packages connect to. The only public entry point is `startEmulator`.
 */
export { startEmulator } from './server/emulator';
export type { EmulatorHandle, EmulatorOptions } from './server/emulator';
/** The events of `GET /.settings/profile.json` (the database profiler), for clients that read the stream. */
export type { ProfileEvent, ProfileIndex, ProfileOperation, ProfileQuery } from './profiler/events';
