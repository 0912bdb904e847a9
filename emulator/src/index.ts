/**
 * A pure-Node Realtime Database emulator that the unmodified `firebase`, `firebase-admin` and
 * `@firebase/rules-unit-testing` packages connect to. The entry point is `startEmulator`; it rejects
 * with an EmulatorStartError when an option is at fault.
 */
export { EmulatorStartError, isEmulatorStartError, startEmulator } from './emulator';
export type { EmulatorHandle, EmulatorOptions } from './emulator';
/** The events of `GET /.settings/profile.json` (the database profiler), for clients that read the stream. */
export type { ProfileEvent, ProfileIndex, ProfileOperation, ProfileQuery } from './profiler/events';
