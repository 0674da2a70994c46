import type { RequestHandler } from 'express';

/**
 * A graceful stop of the HTTP side: once draining, readiness is false (the load
 * balancer stops sending), new answers close their connection, live streams end
 * (browsers reconnect to another replica, resuming with Last-Event-ID), and the
 * requests in flight (a webhook being recorded) get up to a grace period to
 * finish before anything else stops.
 */
export class Drain {
  private inFlight = 0;
  private draining_ = false;
  private readonly idleWaiters = new Set<() => void>();
  private readonly streams = new Set<() => void>();

  get draining(): boolean {
    return this.draining_;
  }

  /** Counts every request until its response is done. */
  readonly middleware: RequestHandler = (_req, res, next) => {
    this.inFlight += 1;
    if (this.draining_) res.set('Connection', 'close');
    res.once('close', () => {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const resolve of this.idleWaiters) resolve();
    });
    next();
  };

  /** A long-lived response (SSE) to end when draining starts; returns the function that forgets it. */
  stream(close: () => void): () => void {
    if (this.draining_) {
      close();
      return () => undefined;
    }
    this.streams.add(close);
    return () => this.streams.delete(close);
  }

  /** Starts draining; resolves when no request is in flight, or after `graceMs`. */
  async drain(graceMs: number): Promise<{ unfinished: number }> {
    this.draining_ = true;
    for (const close of this.streams) close();
    this.streams.clear();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.add(resolve);
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    return { unfinished: this.inFlight };
  }
}
