/**
 * Runs `work(key)` for queued keys, at most `concurrency` at once and never two
 * for one key: a key queued while it runs runs again afterwards, once. A key
 * whose work failed is retried with a growing delay.
 */
export class KeyedQueue {
  private readonly waiting = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout }>();
  /** Keys whose current run asked for a retry. */
  private readonly retryAsked = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: {
      concurrency: number;
      work: (key: string) => Promise<void>;
      onError: (key: string, error: unknown) => void;
      /** First retry delay; doubles up to 30 s. */
      retryMs?: number;
    },
  ) {}

  add(key: string): void {
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    this.waiting.add(key);
    this.pump();
  }

  /** Queues the key again after the retry delay (something it needs is not there yet). */
  retryLater(key: string): void {
    const previous = this.retries.get(key);
    if (previous) clearTimeout(previous.timer);
    this.retryAsked.add(key);
    const attempt = (previous?.attempt ?? 0) + 1;
    const delay = Math.min((this.options.retryMs ?? 1_000) * 2 ** (attempt - 1), 30_000);
    const timer = setTimeout(() => this.add(key), delay);
    timer.unref();
    this.retries.set(key, { attempt, timer });
  }

  /** Resolves once nothing is waiting or running (retries scheduled for later do not count). */
  drain(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (const key of this.waiting) {
      if (this.running.size >= this.options.concurrency) return;
      this.waiting.delete(key);
      this.running.add(key);
      this.retryAsked.delete(key);
      this.options
        .work(key)
        .then(() => {
          // A clean run resets the backoff.
          if (!this.retryAsked.has(key)) this.retries.delete(key);
        })
        .catch((error: unknown) => {
          this.options.onError(key, error);
          this.retryLater(key);
        })
        .finally(() => {
          this.running.delete(key);
          if (this.again.delete(key)) this.waiting.add(key);
          this.pump();
          if (this.waiting.size === 0 && this.running.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
    }
  }
}
