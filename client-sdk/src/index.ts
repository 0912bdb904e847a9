/**
 * @device-limit/client — claim, hold and give back a device slot from web and mobile Firebase apps.
 * The data contract is docs/protocol.md; the API reads like the Firebase modular SDK: free functions
 * taking the `Database`/`Functions` instance first.
 */
export { startDeviceSession } from './session';
export type {
  ClaimOutcome,
  DeviceSession,
  DeviceSessionOptions,
  DeviceSessionState,
  DeviceSessionStatus,
  DeviceSessionUser,
  DeviceLimitConfigOptions,
  ReleaseReason,
  TabCoordination,
} from './session-api';
export { listDevices, onDevicesChanged, signOutDevice, forceLogin, repairPresence } from './remote';
export type { ForceLoginDevice, ListDevicesOptions } from './remote';
export { presenceDatabaseFor } from './shards';
export type { DatabaseShardList, DatabaseShardResolver, PresenceDatabase, ShardEmulator } from './shards';
export type { DeviceEntry, DeviceListEntry, SignInRequest } from './presence';
// docs/protocol.md §11.4: an active device's answer to a sign-in request.
export { approveRequest, refuseRequest } from './approval';
export type { AnswerOptions, ApproveOptions } from './approval';
export { DeviceLimitError, isDeviceLimitError } from './errors';
export type { DeviceLimitErrorCode } from './errors';
export { generateDeviceId, getOrCreateDeviceId, memoryStorage, DEVICE_ID_STORAGE_KEY } from './storage';
export type { DeviceIdStorage } from './storage';
export {
  DEFAULT_DEVICE_LIMIT,
  DEVICE_ID_PATTERN,
  LABEL_MAX_LENGTH,
  LEASE_RENEWAL_MS,
  PING_DEADLINE_MS,
  PLATFORMS,
  REJOIN_WINDOW_MS,
  STALE_AFTER_MS,
} from './contract';
export type { ContractPaths, DeviceClass, EvictionReason, LimitPolicy, Platform } from './contract';
export type { Logger } from './logger';
export type { LeaseStore, LockManagerLike, TabChannel } from './tab-election';
export type { Timers } from './timers';
export * from './fetch';
