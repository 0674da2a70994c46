import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { PendingChange, StateSink, TenantChange } from '../cluster/state-sink.js';
import { DeposedError } from '../cluster/durable-state.js';
import { CHANNELS, type PgListener } from './pg-listener.js';

/** How often a wait for the commit re-reads the row, in case its notification was missed. */
const WAIT_POLL_MS = 500;

/**
 * The api's StateSink (docs/architecture.md#process-roles): a change becomes an intent row
 * (actor, verb, tenant, summary) and a notification; the controller commits it. The
 * request then waits for that commit up to `waitMs`, so a user normally reads their
 * own change in the history; past it (no controller yet, a failover) it answers
 * anyway: the intent is recorded and will be committed.
 */
export class OutboxStateSink implements StateSink {
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly deps: { db: DataSource; listener: PgListener; waitMs: number; logger: Logger },
  ) {
    deps.listener.on(CHANNELS.intentDone, (id) => this.waiters.get(id)?.());
  }

  /** The intent row and its notification, in the change's transaction: both or neither commit. */
  async record(manager: EntityManager, change: TenantChange): Promise<PendingChange> {
    const rows: { id: string }[] = await manager.query(
      `WITH intent AS (
         INSERT INTO state_intents (project_id, namespace, change) VALUES ($1, $2, $3) RETURNING id
       )
       SELECT id, pg_notify('${CHANNELS.intent}', id::text) FROM intent`,
      [change.projectId, change.namespace, JSON.stringify(change)],
    );
    const id = rows[0]?.id;
    return id === undefined ? { change } : { change, intentId: id };
  }

  async settle(pending: PendingChange): Promise<void> {
    if (pending.intentId !== undefined && this.deps.waitMs > 0) await this.committed(pending.intentId);
  }

  async tenantChanged(change: TenantChange): Promise<void> {
    await this.settle(await this.record(this.deps.db.manager, change));
  }

  /** Resolves when the intent is committed (or failed), or after `waitMs`. */
  private async committed(id: string): Promise<void> {
    const deadline = Date.now() + this.deps.waitMs;
    let wake: () => void = () => undefined;
    this.waiters.set(id, () => wake());
    try {
      while (Date.now() < deadline) {
        const rows: { done: boolean }[] = await this.deps.db.query(`SELECT done_at IS NOT NULL AS done FROM state_intents WHERE id = $1`, [id]);
        if (rows[0]?.done !== false) return;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
        });
        clearTimeout(timer);
      }
      this.deps.logger.info({ intent: id, waitMs: this.deps.waitMs }, 'answered before the controller committed the change');
    } finally {
      this.waiters.delete(id);
    }
  }
}

/** What the controller does with a change, around its commit. */
export interface IntentTarget {
  /** Commits the change; resolves with the commit, or null when the render did not change. */
  commit(change: TenantChange): Promise<string | null>;
}

interface IntentRow {
  id: string;
  change: TenantChange;
  attempts: number;
}

/** A failing intent is tried this many times, then marked done with its error (else it blocks the rest). */
const MAX_ATTEMPTS = 5;
const BATCH = 100;

/**
 * The controller's half of the outbox: every pending intent, oldest first, becomes
 * the commit it is today (one per intent, none when the render did not change),
 * then is marked done with its commit and announced. Woken by each intent's
 * notification, by a reconnection of the listener, and by a periodic resync.
 */
export class IntentProcessor {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly deps: {
      db: DataSource;
      listener: PgListener;
      target: IntentTarget;
      logger: Logger;
      /** Called when a commit is refused because another controller leads. */
      onDeposed: (error: DeposedError) => void;
      resyncMs?: number;
    },
  ) {
    this.unsubscribe = [deps.listener.on(CHANNELS.intent, () => this.poke()), deps.listener.onConnect(() => this.poke())];
    this.timer = setInterval(() => this.poke(), deps.resyncMs ?? 5_000);
    this.timer.unref();
    this.poke();
  }

  /** Runs a pass now, or right after the one running. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => {
        if (error instanceof DeposedError) this.deps.onDeposed(error);
        else this.deps.logger.warn({ err: error }, 'could not process the outbox: retrying');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Stops taking intents; resolves when the one being committed is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    await this.running;
  }

  /** Resolves when no pass runs (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    for (;;) {
      const rows: IntentRow[] = await this.deps.db.query(
        `SELECT id, change, attempts FROM state_intents WHERE done_at IS NULL ORDER BY id LIMIT ${BATCH}`,
      );
      for (const row of rows) {
        if (this.stopped) return;
        await this.process(row);
      }
      if (rows.length < BATCH) return;
    }
  }

  private async process(row: IntentRow): Promise<void> {
    let commit: string | null;
    try {
      commit = await this.deps.target.commit(row.change);
    } catch (error) {
      if (error instanceof DeposedError) throw error;
      const attempts = row.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      const gaveUp = attempts >= MAX_ATTEMPTS;
      this.deps.logger.error({ intent: row.id, attempts, err: error }, gaveUp ? 'gave up on a change: it is not in the state repo' : 'could not commit a change: will retry');
      await this.deps.db.query(
        `UPDATE state_intents SET attempts = $2, error = $3, done_at = CASE WHEN $4 THEN now() END WHERE id = $1`,
        [row.id, attempts, message.slice(0, 2000), gaveUp],
      );
      if (gaveUp) {
        await this.announce(row.id);
        return;
      }
      // The rest waits for the next pass: a failure is often the database or the disk.
      throw error;
    }
    await this.deps.db.query(`UPDATE state_intents SET done_at = now(), commit = $2, error = NULL WHERE id = $1`, [row.id, commit]);
    await this.announce(row.id);
  }

  private async announce(id: string): Promise<void> {
    await this.deps.db.query(`SELECT pg_notify('${CHANNELS.intentDone}', $1)`, [id]);
  }
}
