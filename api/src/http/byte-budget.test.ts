import { ByteBudget } from './byte-budget.js';

const never = new AbortController().signal;

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait until bytes come back', async () => {
    const budget = new ByteBudget(100);
    const first = await budget.acquire(60, never);
    let second: (() => void) | undefined;
    const waiting = budget.acquire(60, never).then((release) => (second = release));
    await Promise.resolve();
    expect(second).toBeUndefined();
    expect(budget.inUse).toBe(60);
    first();
    await waiting;
    expect(budget.inUse).toBe(60);
    second?.();
    expect(budget.inUse).toBe(0);
  });

  it('lets a small request pass a large one that does not fit yet', async () => {
    const budget = new ByteBudget(100);
    const held = await budget.acquire(70, never);
    const order: string[] = [];
    const large = budget.acquire(80, never).then((release) => {
      order.push('large');
      return release;
    });
    const small = budget.acquire(20, never).then((release) => {
      order.push('small');
      return release;
    });
    (await small)();
    held();
    (await large)();
    expect(order).toEqual(['small', 'large']);
    expect(budget.inUse).toBe(0);
  });

  it('when the signal aborts while waiting, then rejects with its reason and holds nothing', async () => {
    const budget = new ByteBudget(10);
    const held = await budget.acquire(10, never);
    const abort = new AbortController();
    const waiting = budget.acquire(5, abort.signal);
    abort.abort(new Error('too slow'));
    await expect(waiting).rejects.toThrow('too slow');
    held();
    expect(budget.inUse).toBe(0);
    // The aborted waiter is gone: a new one is granted at once.
    (await budget.acquire(10, never))();
  });

  it('clamps a request larger than the budget to the whole budget, and releases once only', async () => {
    const budget = new ByteBudget(50);
    const release = await budget.acquire(1_000, never);
    expect(budget.inUse).toBe(50);
    release();
    release();
    expect(budget.inUse).toBe(0);
  });
});
