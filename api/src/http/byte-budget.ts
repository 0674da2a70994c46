/**
 * A budget of bytes that requests hold while their bodies are in memory: it
 * bounds what concurrent uploads can take from the process, whoever sends them.
 * A waiter is granted as soon as its bytes fit, in arrival order among those
 * that fit, so a small body is not held up behind a large one.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Bytes held right now (for tests and the benchmark). */
  get inUse(): number {
    return this.used;
  }

  /**
   * Resolves with the function that gives the bytes back once `bytes` fit;
   * rejects with `signal.reason` when the signal aborts first. A request larger
   * than the whole budget waits until it has the budget to itself.
   */
  acquire(bytes: number, signal: AbortSignal): Promise<() => void> {
    const wanted = Math.min(bytes, this.capacity);
    signal.throwIfAborted();
    if (this.waiting.length === 0 && this.used + wanted <= this.capacity) return Promise.resolve(this.take(wanted));
    return new Promise((resolve, reject) => {
      const entry = {
        bytes: wanted,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.take(wanted));
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.grantWaiting();
    });
  }

  private take(bytes: number): () => void {
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const entry = this.waiting[i];
      if (entry && this.used + entry.bytes <= this.capacity) {
        this.waiting.splice(i, 1);
        entry.grant();
      } else {
        i += 1;
      }
    }
  }
}
