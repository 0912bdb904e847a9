import { DEFAULT_DEVICE_LIMIT } from './contract';
import {
  deviceLimitFor,
  effectiveDeviceLimit,
  isValidDeviceLimit,
  planLimitFromClaims,
  planLimitOf,
} from './limit-policy';

describe('effectiveDeviceLimit', () => {
  it.each([
    [undefined, DEFAULT_DEVICE_LIMIT],
    [null, DEFAULT_DEVICE_LIMIT],
    ['5', DEFAULT_DEVICE_LIMIT],
    [{}, DEFAULT_DEVICE_LIMIT],
    [Number.NaN, DEFAULT_DEVICE_LIMIT],
    [0, 0],
    [5, 5],
    [2.7, 2],
    [-1, 0],
  ])('%p -> %p', (raw, expected) => {
    expect(effectiveDeviceLimit(raw)).toBe(expected);
  });
});

describe('isValidDeviceLimit', () => {
  it.each([
    [0, true],
    [1, true],
    [100, true],
    [101, false],
    [-1, false],
    [1.5, false],
    ['3', false],
    [null, false],
  ])('%p -> %p', (value, expected) => {
    expect(isValidDeviceLimit(value)).toBe(expected);
  });
});

describe('deviceLimitFor (docs/protocol.md §11.1: override, then plan, then default)', () => {
  it.each([
    [5, 3, 5],
    [1, 3, 1],
    [null, 3, 3],
    [undefined, 0, 0],
    ['7', 3, 3],
    [null, null, DEFAULT_DEVICE_LIMIT],
    [2.7, 9, 2],
  ])('override %p, plan %p -> %p', (override, plan, expected) => {
    expect(deviceLimitFor(override, plan)).toBe(expected);
  });
});

describe('planLimitOf and planLimitFromClaims read only integers within the bounds', () => {
  it.each([
    [4, 4],
    [0, 0],
    [100, 100],
    [101, null],
    [2.5, null],
    ['3', null],
    [true, null],
    [{ n: 3 }, null],
    [undefined, null],
  ])('%p -> %p', (value, expected) => {
    expect(planLimitOf({ planLimit: value })).toBe(expected);
    expect(planLimitFromClaims({ deviceLimit: value })).toBe(expected);
  });

  it('reads no plan from an absent presence or token', () => {
    expect(planLimitOf(null)).toBeNull();
    expect(planLimitFromClaims(undefined)).toBeNull();
  });
});
