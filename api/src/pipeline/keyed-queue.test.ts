import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { KeyedQueue } from './keyed-queue.js';

/** Lets every promise callback queued so far run (and the ones they queue). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A queue whose work for a key waits until the test releases that run, and
 * records what ran: starts in order, and the most runs at once (overall and per key).
 */
function harness(concurrency: number) {
  const started: string[] = [];
  const pending = new Map<string, (() => void)[]>();
  const errors: [string, unknown][] = [];
  const active = new Map<string, number>();
  let running = 0;
  let maxRunning = 0;
  let maxSameKey = 0;
  const queue = new KeyedQueue({
    concurrency,
    onError: (key, error) => errors.push([key, error]),
    work: async (key) => {
      started.push(key);
      running += 1;
      active.set(key, (active.get(key) ?? 0) + 1);
      maxRunning = Math.max(maxRunning, running);
      maxSameKey = Math.max(maxSameKey, active.get(key) ?? 0);
      try {
        await new Promise<void>((resolve) => pending.set(key, [...(pending.get(key) ?? []), resolve]));
      } finally {
        running -= 1;
        active.set(key, (active.get(key) ?? 0) - 1);
      }
    },
  });
  return {
    queue,
    started,
    errors,
    get maxRunning() {
      return maxRunning;
    },
    get maxSameKey() {
      return maxSameKey;
    },
    /** Ends the oldest unfinished run of `key` and lets the queue react. */
    async release(key: string) {
      const waiting = pending.get(key) ?? [];
      const next = waiting.shift();
      if (!next) throw new Error(`no run of ${key} is waiting`);
      next();
      await settle();
    },
  };
}

describe('KeyedQueue', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs at most `concurrency` keys at once, the others as runs end', async () => {
    const h = harness(2);
    for (const key of ['a', 'b', 'c', 'd', 'e']) h.queue.add(key);
    await settle();
    expect(h.started).toEqual(['a', 'b']);

    await h.release('a');
    expect(h.started).toEqual(['a', 'b', 'c']);
    await h.release('c');
    await h.release('b');
    expect(h.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    await h.release('d');
    await h.release('e');
    await h.queue.drain();
    expect(h.maxRunning).toBe(2);
    expect(h.errors).toEqual([]);
  });

  it('queues a key added again while it waits for a slot only once', async () => {
    const h = harness(1);
    h.queue.add('a');
    h.queue.add('b');
    h.queue.add('b');
    await settle();
    await h.release('a');
    await h.release('b');
    await h.queue.drain();
    expect(h.started).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once: a key added while it runs runs once more afterwards, not twice', async () => {
    const h = harness(4);
    h.queue.add('a');
    await settle();
    h.queue.add('a');
    h.queue.add('a');
    h.queue.add('a');
    await settle();
    expect(h.started).toEqual(['a']);

    await h.release('a');
    expect(h.started).toEqual(['a', 'a']);
    await h.release('a');
    await h.queue.drain();
    expect(h.started).toEqual(['a', 'a']);
    expect(h.maxSameKey).toBe(1);
  });

  it('while one key runs again, other keys still get the free slots', async () => {
    const h = harness(2);
    h.queue.add('a');
    await settle();
    h.queue.add('a');
    h.queue.add('b');
    await settle();
    expect(h.started).toEqual(['a', 'b']);
    await h.release('a');
    expect(h.started).toEqual(['a', 'b', 'a']);
    await h.release('b');
    await h.release('a');
    await h.queue.drain();
    expect(h.maxSameKey).toBe(1);
  });

  describe('drain', () => {
    it('resolves at once when nothing was queued', async () => {
      await expect(new KeyedQueue({ concurrency: 1, work: () => Promise.resolve(), onError: () => undefined }).drain()).resolves.toBeUndefined();
    });

    it('resolves only once every queued key, and every run asked for while running, has finished', async () => {
      const h = harness(1);
      h.queue.add('a');
      h.queue.add('b');
      let drained = false;
      void h.queue.drain().then(() => {
        drained = true;
      });
      await settle();
      h.queue.add('a');
      await h.release('a');
      expect(drained).toBe(false);
      await h.release('b');
      expect(drained).toBe(false);
      await h.release('a');
      expect(drained).toBe(true);
      expect(h.started).toEqual(['a', 'b', 'a']);
    });
  });

  describe('errors and retries', () => {
    /** Moves the fake clock and lets the runs it started settle. */
    const advanceTimersByTime = async (ms: number) => {
      jest.advanceTimersByTime(ms);
      await settle();
    };
    // setImmediate stays real so `settle` works; only the retry timers are faked.
    const fakeTimers = () => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });

    it('reports a failed run to onError and runs the key again after retryMs, doubling the delay each time', async () => {
      fakeTimers();
      const boom = new Error('the cluster is unreachable');
      const runs: string[] = [];
      const errors: [string, unknown][] = [];
      const queue = new KeyedQueue({
        concurrency: 1,
        retryMs: 100,
        onError: (key, error) => errors.push([key, error]),
        work: (key) => {
          runs.push(key);
          return runs.length <= 3 ? Promise.reject(boom) : Promise.resolve();
        },
      });
      queue.add('a');
      await settle();
      expect(runs).toHaveLength(1);
      expect(errors).toEqual([['a', boom]]);

      await advanceTimersByTime(99);
      expect(runs).toHaveLength(1);
      await advanceTimersByTime(1);
      expect(runs).toHaveLength(2);
      expect(errors).toEqual([
        ['a', boom],
        ['a', boom],
      ]);

      await advanceTimersByTime(199);
      expect(runs).toHaveLength(2);
      await advanceTimersByTime(1);
      expect(runs).toHaveLength(3);

      await advanceTimersByTime(399);
      expect(runs).toHaveLength(3);
      await advanceTimersByTime(1);
      expect(runs).toHaveLength(4);

      // The fourth run succeeded: no further retry.
      await advanceTimersByTime(60_000);
      expect(runs).toHaveLength(4);
      expect(errors).toHaveLength(3);
    });

    it('caps the retry delay at 30 s', async () => {
      fakeTimers();
      let runs = 0;
      const queue = new KeyedQueue({
        concurrency: 1,
        retryMs: 10_000,
        onError: () => undefined,
        work: () => {
          runs += 1;
          return Promise.reject(new Error('still failing'));
        },
      });
      queue.add('a');
      await settle();
      for (const [delay, expected] of [
        [10_000, 2],
        [20_000, 3],
        [30_000, 4],
        [30_000, 5],
      ] as const) {
        await advanceTimersByTime(delay - 1);
        expect(runs).toBe(expected - 1);
        await advanceTimersByTime(1);
        expect(runs).toBe(expected);
      }
    });

    it('starts the backoff over after a clean run', async () => {
      fakeTimers();
      const outcomes = [false, false, true, false];
      let runs = 0;
      const queue = new KeyedQueue({
        concurrency: 1,
        retryMs: 100,
        onError: () => undefined,
        work: () => {
          const ok = outcomes[runs] ?? true;
          runs += 1;
          return ok ? Promise.resolve() : Promise.reject(new Error('failed'));
        },
      });
      queue.add('a');
      await settle();
      await advanceTimersByTime(100);
      await advanceTimersByTime(200);
      expect(runs).toBe(3);

      queue.add('a');
      await settle();
      expect(runs).toBe(4);
      await advanceTimersByTime(99);
      expect(runs).toBe(4);
      await advanceTimersByTime(1);
      expect(runs).toBe(5);
    });

    it('retryLater from inside the work queues the key again with a growing delay, without an error', async () => {
      fakeTimers();
      let runs = 0;
      const errors: unknown[] = [];
      const queue: KeyedQueue = new KeyedQueue({
        concurrency: 1,
        retryMs: 100,
        onError: (_key, error) => errors.push(error),
        work: (key) => {
          runs += 1;
          // The first two runs find what they need missing.
          if (runs <= 2) queue.retryLater(key);
          return Promise.resolve();
        },
      });
      queue.add('a');
      await settle();
      await advanceTimersByTime(99);
      expect(runs).toBe(1);
      await advanceTimersByTime(1);
      expect(runs).toBe(2);
      await advanceTimersByTime(199);
      expect(runs).toBe(2);
      await advanceTimersByTime(1);
      expect(runs).toBe(3);
      await advanceTimersByTime(60_000);
      expect(runs).toBe(3);
      expect(errors).toEqual([]);
    });

    it('drain does not wait for a retry scheduled for later', async () => {
      fakeTimers();
      let runs = 0;
      const queue = new KeyedQueue({
        concurrency: 1,
        retryMs: 100,
        onError: () => undefined,
        work: () => {
          runs += 1;
          return runs === 1 ? Promise.reject(new Error('failed')) : Promise.resolve();
        },
      });
      queue.add('a');
      await queue.drain();
      expect(runs).toBe(1);
      await advanceTimersByTime(100);
      expect(runs).toBe(2);
    });
  });
});
