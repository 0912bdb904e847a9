/**
 * Push ids as the client generates them (`core/util/NextPushId.ts`): 8 characters of timestamp and
 * 12 random ones in a lexicographically sortable alphabet; ids made within one millisecond increment
 * the random part so they still sort in creation order. REST POST uses it, like production.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../clock';

const PUSH_CHARS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

export class PushIdGenerator {
  private lastPushTime = 0;
  private readonly lastRandChars: number[] = [];

  constructor(private readonly clock: Clock) {}

  next(): string {
    let now = this.clock.now();
    const duplicateTime = now === this.lastPushTime;
    this.lastPushTime = now;
    const timeStampChars = new Array<string>(8);
    for (let i = 7; i >= 0; i--) {
      timeStampChars[i] = PUSH_CHARS.charAt(now % 64);
      now = Math.floor(now / 64);
    }
    let id = timeStampChars.join('');
    if (!duplicateTime) {
      for (let i = 0; i < 12; i++) this.lastRandChars[i] = randomInt(64);
    } else {
      let i = 11;
      for (; i >= 0 && this.lastRandChars[i] === 63; i--) this.lastRandChars[i] = 0;
      this.lastRandChars[i] = (this.lastRandChars[i] ?? 0) + 1;
    }
    for (let i = 0; i < 12; i++) id += PUSH_CHARS.charAt(this.lastRandChars[i] ?? 0);
    return id;
  }
}
