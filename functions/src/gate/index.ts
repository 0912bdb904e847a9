/**
 * The device gate: the app's own backend (Express, Cloud Functions `onRequest` and `onCall`, Cloud
 * Run) serves a request only when the device that sends it holds a slot. See functions/README.md,
 * "The device gate for your own API".
 */
export { deviceGate, sendRefusal } from './express';
export type { DeviceGateMiddleware, DeviceGateRequest } from './express';
export { withDeviceGate, onDeviceCall, refusalHttpsError } from './on-call';
export type { DeviceCallHandler, DeviceCallOptions, GatedCallHandler } from './on-call';
export { DeviceGate, DEFAULT_DEVICE_ID_HEADER } from './device-gate';
export type { DeviceGateContext, DeviceGateOptions, DeviceGateResult } from './device-gate';
export { decideSlot, slotSnapshot } from './decision';
export type { SlotDecision, SlotQuestion, SlotSnapshot } from './decision';
export { DEVICE_GATE_CODES, DeviceGateUnavailableError, isDeviceGateUnavailableError, refusalBody } from './refusal';
export type { DeviceGateCode, GateRefusal, GateRefusalBody } from './refusal';
export type { GateClock, PresenceSource, SlotViewStats } from './slot-view';
export type { IdTokenVerifier } from './token';
