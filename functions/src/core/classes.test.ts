import { SERVER_TIMESTAMP } from './contract';
import { chooseClassEvictions, classCounts, classifySlots, classLimitsOf, sameCounts } from './classes';
import { planForceLogin } from './force-login-plan';
import { planRepair, type RepairOptions } from './repair-plan';
import { planSignOutDevice } from './sign-out-plan';

const NOW = 1_700_000_000_000;
const base: RepairOptions = { limit: 5, now: NOW, stamp: SERVER_TIMESTAMP };

function entry(claimedAt: number, platform: string, deviceClass?: string) {
  return {
    claimedAt,
    lastSeen: claimedAt,
    generation: 0,
    platform,
    label: 'x',
    ...(deviceClass ? { class: deviceClass } : {}),
  };
}

describe('class helpers (docs/protocol.md §11.3)', () => {
  test('classLimitsOf keeps only known classes with valid limits', () => {
    expect(classLimitsOf({ classLimits: { mobile: 2, tv: 1.5, car: 3, web: -1, desktop: 0 } })).toEqual({
      mobile: 2,
      desktop: 0,
    });
  });

  test('with class limits, an entry without a class gets its platform class', () => {
    const slots = [{ deviceId: 'a0000001', entry: entry(1, 'android') }];
    expect(classifySlots({ classLimits: { mobile: 1 } }, slots)[0]?.entry).toMatchObject({ class: 'mobile' });
    expect(classifySlots({}, slots)[0]?.entry).not.toHaveProperty('class');
  });

  test('classCounts counts classed entries and keeps existing counters at 0', () => {
    const slots = [
      { deviceId: 'a0000001', entry: entry(1, 'ios', 'mobile') },
      { deviceId: 'b0000001', entry: entry(2, 'web') },
    ];
    expect(classCounts({ classCount: { tv: 1 } }, slots)).toEqual({ tv: 0, mobile: 1 });
    expect(classCounts({}, [])).toBeUndefined();
  });

  test('chooseClassEvictions evicts the most recently claimed of a class above its limit', () => {
    const slots = [
      { deviceId: 'old00001', entry: entry(1, 'ios', 'mobile') },
      { deviceId: 'new00001', entry: entry(3, 'android', 'mobile') },
      { deviceId: 'mid00001', entry: entry(2, 'ios', 'mobile') },
      { deviceId: 'tv000001', entry: entry(4, 'android', 'tv') },
    ];
    expect(chooseClassEvictions(slots, { mobile: 1, tv: 1 })).toEqual(['new00001', 'mid00001']);
  });

  test('sameCounts ignores key order', () => {
    expect(sameCounts({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameCounts({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameCounts(undefined, undefined)).toBe(true);
  });
});

describe('the server keeps class counters exact', () => {
  const tracked = {
    count: 2,
    classCount: { mobile: 1, web: 1 },
    devices: { a0000001: entry(1, 'ios', 'mobile'), b0000001: entry(2, 'web', 'web') },
  };

  test('a consistent user: the repair changes nothing', () => {
    expect(planRepair(tracked, base).changed).toBe(false);
  });

  test('a drifted counter is recomputed', () => {
    expect(planRepair({ ...tracked, classCount: { mobile: 3, web: 1 } }, base).next).toMatchObject({
      classCount: { mobile: 1, web: 1 },
    });
  });

  test('sign-out takes the counter of the removed entry down', () => {
    const plan = planSignOutDevice(tracked, { deviceId: 'a0000001', stamp: SERVER_TIMESTAMP, now: NOW });
    expect(plan.kind === 'applied' && plan.next.classCount).toEqual({ mobile: 0, web: 1 });
  });

  test('setting class limits classifies, recounts and evicts the newest extras of a class', () => {
    const user = {
      count: 3,
      devices: { a0000001: entry(1, 'ios'), b0000001: entry(2, 'android'), c0000001: entry(3, 'web') },
    };
    const plan = planRepair(user, { ...base, classLimits: { mobile: 1 }, overLimitReason: 'limit-lowered' });
    expect(plan.removed).toEqual([{ deviceId: 'b0000001', reason: 'limit-lowered' }]);
    expect(plan.next).toMatchObject({
      count: 2,
      classLimits: { mobile: 1 },
      classCount: { mobile: 1, web: 1 },
      devices: { a0000001: { class: 'mobile' }, c0000001: { class: 'web' } },
    });
  });

  test('removing the class limits keeps counting while counters exist', () => {
    const plan = planRepair({ ...tracked, classLimits: { mobile: 1 } }, { ...base, classLimits: null });
    expect(plan.changed).toBe(true);
    expect(plan.next).not.toHaveProperty('classLimits');
    expect(plan.next).toMatchObject({ classCount: { mobile: 1, web: 1 } });
  });

  test('force login leaves one entry of its class, counted alone', () => {
    const plan = planForceLogin(tracked, {
      deviceId: 'caller01',
      platform: 'android',
      label: 'TV',
      deviceClass: 'tv',
      authTime: 1,
      limit: 5,
      stamp: SERVER_TIMESTAMP,
      now: NOW,
    });
    expect(plan.kind === 'applied' && plan.next).toMatchObject({
      classCount: { mobile: 0, web: 0, tv: 1 },
      devices: { caller01: { class: 'tv' } },
    });
  });

  test('force login of an untracked user without a class writes no class', () => {
    const plan = planForceLogin(
      {},
      {
        deviceId: 'caller01',
        platform: 'web',
        label: 'x',
        authTime: 1,
        limit: 2,
        stamp: SERVER_TIMESTAMP,
        now: NOW,
      },
    );
    expect(plan.kind === 'applied' && plan.next).not.toHaveProperty('classCount');
  });
});

describe('expired sign-in requests (docs/protocol.md §11.4)', () => {
  test('the repair drops requests older than REQUEST_TTL_MS and keeps open ones', () => {
    const user = {
      count: 0,
      requests: {
        r0: { deviceId: 'old00001', label: 'x', platform: 'web', at: NOW - 3 * 60_000 },
        r1: { deviceId: 'new00001', label: 'x', platform: 'web', at: NOW - 60_000 },
      },
    };
    const plan = planRepair(user, base);
    expect(plan.changed).toBe(true);
    expect(plan.next?.requests).toEqual({ r1: user.requests.r1 });
    expect(planRepair({ count: 0, requests: { r1: user.requests.r1 } }, base).changed).toBe(false);
  });
});
