/**
 * A pure-Node Realtime Database emulator that the unmodified `firebase`, `firebase-admin` and
 * `@firebase/rules-unit-testing` packages connect to. The only public entry point is `startEmulator`.
 */
export { startEmulator } from './server/emulator';
export type { EmulatorHandle, EmulatorOptions } from './server/emulator';
