import type { StateHistory } from '@dangus/gitops-writer';
import type { Logger } from 'pino';
import type { DurableState } from './durable-state.js';
import { CHANNELS, type PgListener } from '../coordination/pg-listener.js';

/**
 * An api replica's read-only copy of the state repo, rebuilt from the durable copy in
 * PostgreSQL (docs/architecture.md#process-roles): what `/state.git` serves and the history
 * pages read. It follows every commit's notification, and `/state.git` brings it to
 * the durable head before each fetch, so an applier poked after a commit fetches
 * that commit from whichever replica answers. It never commits.
 */
export class StateMirror {
  /** The sync queued behind the running one, not started yet: callers that arrive meanwhile share it. */
  private queued: Promise<string | null> | undefined;
  private last: Promise<unknown> = Promise.resolve();
  private local: string | null = null;

  constructor(
    private readonly deps: { durable: DurableState; history: StateHistory; listener: PgListener; logger: Logger },
  ) {
    deps.listener.on(CHANNELS.state, () => void this.sync().catch(() => undefined));
    deps.listener.onConnect(() => void this.sync().catch(() => undefined));
  }

  /** The head this copy serves, after catching up with the durable copy. */
  async head(): Promise<string | null> {
    const durable = await this.deps.durable.head();
    if (durable !== this.local) await this.sync();
    return this.local;
  }

  /** Catches up with a sync that starts after this call (one at a time). */
  sync(): Promise<string | null> {
    if (this.queued) return this.queued;
    const run = this.last.then(() => {
      this.queued = undefined;
      return this.deps.durable.sync({ seed: false });
    });
    this.queued = run;
    this.last = run.catch(() => undefined);
    return run.then(
      (head) => {
        if (head !== this.local) {
          this.local = head;
          this.deps.history.refreshSoon((error) => this.deps.logger.warn({ err: error }, 'could not update the state repo history index'), 0);
        }
        return head;
      },
      (error: unknown) => {
        this.deps.logger.warn({ err: error }, 'could not bring the state repo mirror up to date');
        throw error;
      },
    );
  }
}
