import type { Logger } from 'pino';

/**
 * Tells an applier in another process that a commit landed (`POST /notify` of the
 * installed applier, with its token), so that a change reaches the cluster in a
 * fraction of a second instead of at the applier's next resync. Notifies never
 * queue up: while one is in flight, later commits fold into one more after it.
 * A failure is logged; the resync still brings the commit.
 */
export class ApplierNotifier {
  private inFlight = false;
  private again = false;

  constructor(private readonly options: { url: string; token: string | undefined; logger: Logger; timeoutMs?: number }) {}

  notify(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    void this.send().finally(() => {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.notify();
      }
    });
  }

  private async send(): Promise<void> {
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {},
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
      await res.arrayBuffer();
      if (res.status !== 202) this.options.logger.warn({ status: res.status }, 'the applier did not accept the notify: it syncs at its resync');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not notify the applier: it syncs at its resync');
    }
  }
}
