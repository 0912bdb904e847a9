import { DEFAULT_DEVICE_LIMIT } from './contract';
import { effectiveDeviceLimit, isValidDeviceLimit } from './limit-policy';

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
