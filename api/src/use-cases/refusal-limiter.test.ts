import { RefusalLimiter } from './refusal-limiter.js';

describe('RefusalLimiter', () => {
  it('allows a burst per service, then one more per interval of the steady rate', () => {
    let now = 0;
    const limiter = new RefusalLimiter(3, 2, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    // Another service has a bucket of its own.
    expect(limiter.take('b')).toBe(true);
    now += 499;
    expect(limiter.take('a')).toBe(false);
    now += 1;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    // A long quiet time refills up to the burst, never beyond.
    now += 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
  });
});
