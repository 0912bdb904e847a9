import { auditEvent, auditEventsForRemovals, auditEventsFromWrite, selectAuditTrim } from './audit';
import { AUDIT_REASON_MAX_LENGTH } from './contract';

const entry = { claimedAt: 1, lastSeen: 1, generation: 0, platform: 'web', label: 'x' };
const AT = 99;

describe('auditEventsFromWrite', () => {
  it('records a client claim', () => {
    const before = { count: 0 };
    const after = { count: 1, op: 'dev00001', devices: { dev00001: entry } };
    expect(auditEventsFromWrite(before, after, AT)).toEqual([
      { type: 'claimed', deviceId: 'dev00001', at: AT, reason: 'claim' },
    ]);
  });

  it('records a client release (no eviction notice written with it)', () => {
    const before = { count: 1, devices: { dev00001: entry } };
    const after = { count: 0, op: 'dev00001' };
    expect(auditEventsFromWrite(before, after, AT)).toEqual([
      { type: 'released', deviceId: 'dev00001', at: AT, reason: 'release' },
    ]);
  });

  it('does not record a server removal (a new notice) as a release', () => {
    const before = { count: 1, devices: { dev00001: entry } };
    const after = { count: 0, evicted: { dev00001: { reason: 'swept', at: 5, generation: 0 } } };
    expect(auditEventsFromWrite(before, after, AT)).toEqual([]);
  });

  it('records a release even when an older notice for the device already existed', () => {
    const notice = { reason: 'swept', at: 5, generation: 0 };
    const before = { count: 1, devices: { dev00001: entry }, evicted: { dev00001: notice } };
    const after = { count: 0, evicted: { dev00001: notice } };
    expect(auditEventsFromWrite(before, after, AT).map((e) => e.type)).toEqual(['released']);
  });

  it('marks the claim in a force login write', () => {
    const before = { generation: 1, count: 1, devices: { other000: entry } };
    const after = {
      generation: 2,
      count: 1,
      op: 'caller00',
      devices: { caller00: entry },
      evicted: { other000: { reason: 'force-login', at: 5, generation: 2 } },
    };
    expect(auditEventsFromWrite(before, after, AT)).toEqual([
      { type: 'claimed', deviceId: 'caller00', at: AT, reason: 'force-login' },
    ]);
  });

  it('records nothing for a heartbeat or a count fix', () => {
    const before = { count: 3, devices: { dev00001: entry } };
    const after = { count: 1, devices: { dev00001: { ...entry, lastSeen: 2 } } };
    expect(auditEventsFromWrite(before, after, AT)).toEqual([]);
  });
});

describe('auditEventsFromWrite (generation set by an admin script)', () => {
  it('calls a claim a force login only when op names it', () => {
    const after = { generation: 3, count: 1, devices: { dev00001: entry } };
    expect(auditEventsFromWrite(null, after, AT)).toEqual([
      { type: 'claimed', deviceId: 'dev00001', at: AT, reason: 'claim' },
    ]);
  });
});

describe('auditEventsForRemovals', () => {
  it('maps swept to swept and the rest to evicted with their reason', () => {
    expect(
      auditEventsForRemovals(
        [
          { deviceId: 'a', reason: 'swept' },
          { deviceId: 'b', reason: 'over-limit' },
        ],
        AT,
      ),
    ).toEqual([
      { type: 'swept', deviceId: 'a', at: AT, reason: 'stale' },
      { type: 'evicted', deviceId: 'b', at: AT, reason: 'over-limit' },
    ]);
  });
});

describe('auditEvent', () => {
  it('bounds the reason and omits an absent one', () => {
    expect(auditEvent('denied', 'd', AT, 'x'.repeat(100)).reason).toHaveLength(AUDIT_REASON_MAX_LENGTH);
    expect(auditEvent('denied', 'd', AT)).not.toHaveProperty('reason');
  });
});

describe('selectAuditTrim', () => {
  it.each([
    [['a', 'b'], 2, []],
    [['c', 'a', 'b'], 2, ['a']],
    [['e', 'd', 'c', 'b', 'a'], 2, ['a', 'b', 'c']],
    [['a'], 0, ['a']],
  ])('%p with max %p deletes %p', (keys, max, expected) => {
    expect(selectAuditTrim(keys, max)).toEqual(expected);
  });
});
