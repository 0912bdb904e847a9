import { auditEvent, auditEventsForRemovals, selectAuditTrim } from './audit';
import { AUDIT_REASON_MAX_LENGTH } from './contract';

const AT = 99;

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
