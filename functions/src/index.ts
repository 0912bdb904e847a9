/**
 * The deployed functions (what firebase-functions' manifest discovery lists) and the plain sweep for
 * the local stack. Only re-exports, as in firebase/functions-samples.
 */
export { enforceDeviceLimit } from './triggers/enforce-device-limit';
export { sweepStalePresence } from './triggers/sweep-stale-presence';
export { trimPresenceEvents } from './triggers/trim-presence-events';
export { forceLogin } from './callable/force-login';
export { signOutDevice } from './callable/sign-out-device';
export { setDeviceLimit } from './callable/set-device-limit';
export { repairPresence } from './callable/repair-presence';
export type { RepairPresenceResult } from './callable/repair-presence';

export { sweepStaleSlots } from './database/sweep';
// docs/protocol.md §11.1: for a billing backend that changed a user's plan claim.
export { applyPlanLimit } from './database/set-device-limit';
export type { SetDeviceLimitResult } from './database/set-device-limit';
// docs/protocol.md §11.2: an admin's per-user choice of what a claim on a full account does.
export { setLimitPolicy } from './database/set-limit-policy';
// docs/protocol.md §11.3: an admin's per-user limits per device class.
export { setClassLimits } from './database/set-class-limits';
export type { SetClassLimitsResult } from './database/set-class-limits';
export type { SweepStaleSlotsOptions, SweepResult } from './database/sweep';
// The database instance of a user under PRESENCE_INSTANCES (docs/protocol.md §10), e.g. for the device
// gate's `databaseFor`.
export { presenceDatabaseFor } from './database/instances';
// docs/protocol.md §10.5 steps 4 and 6: the admin jobs of a change of the shard map (the copy of the
// moved users' settings, then the finishing job of docs/protocol.md §10.4), run by an admin script (docs/scaling.md).
export { copyMovedUserSettings, finishShardMigration } from './database/migration';
export type { CopySettingsResult, FinishMigrationResult, MigrationJobOptions } from './database/migration';
// The configuration in force (the DEVICE_LIMIT_* parameters, docs/adopt.md "Configuration"), for the
// app's own code that reads or writes the same paths.
export { deviceLimitConfig } from './params';
export * from './gate';
