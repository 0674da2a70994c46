import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { PendingChange, StateSink, TenantChange } from '../state-repo/state-sink.js';
import { DeposedError } from '../state-repo/durable-state.js';
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
    // A new change of a tenant whose intents wait for a retry is tried at once: it may be the fix.
    const rows: { id: string }[] = await manager.query(
      `WITH intent AS (
         INSERT INTO state_intents (project_id, namespace, change) VALUES ($1, $2, $3) RETURNING id
       ), retry AS (
         UPDATE state_intents SET retry_at = NULL WHERE project_id = $1 AND done_at IS NULL AND retry_at IS NOT NULL
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

  /** Resolves when the intent is committed (or its first attempt failed), or after `waitMs`. */
  private async committed(id: string): Promise<void> {
    const deadline = Date.now() + this.deps.waitMs;
    let wake: () => void = () => undefined;
    this.waiters.set(id, () => wake());
    try {
      while (Date.now() < deadline) {
        const rows: { done: boolean }[] = await this.deps.db.query(
          `SELECT done_at IS NOT NULL OR attempts > 0 AS done FROM state_intents WHERE id = $1`,
          [id],
        );
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

/**
 * The tenants with intents not yet committed (waiting, or held back by a failure). A
 * reconcile leaves their files as they are: each intent commits its own change, with
 * its author and subject, and none is folded into a reconcile by the platform.
 */
export async function tenantsWithPendingIntents(db: DataSource): Promise<{ projectId: string; namespace: string }[]> {
  const rows: { project_id: string; namespace: string }[] = await db.query(
    `SELECT DISTINCT project_id, namespace FROM state_intents WHERE done_at IS NULL`,
  );
  return rows.map((row) => ({ projectId: row.project_id, namespace: row.namespace }));
}

/** What the controller does with a change, around its commit. */
export interface IntentTarget {
  /**
   * Commits the change: resolves with its commit, or with `commit: null` and the head
   * when the render did not change (the head already holds the change: an earlier
   * intent's render read the database after it).
   */
  commit(change: TenantChange): Promise<{ commit: string | null; head: string | null }>;
}

interface IntentRow {
  id: string;
  project_id: string;
  change: TenantChange;
  attempts: number;
  /** Its tenant failed recently and waits for `retry_at`. */
  waiting: boolean;
}

const BATCH = 100;

/** Seconds before a failed intent is tried again: 1, 2, 4 … at most 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.max(0, attempts - 1), 300);
}

/**
 * The controller's half of the outbox: every pending intent, oldest first, becomes
 * the commit it is today (one per intent, none when the render did not change),
 * then is marked done with the commit that holds it and announced. Woken by each intent's
 * notification, by a reconnection of the listener, and by a periodic resync.
 *
 * Failures are per tenant (docs/architecture.md#failure-isolation): an intent that
 * cannot be committed holds back its own tenant's later intents (their order is
 * kept) and is tried again with backoff, while every other tenant's intents go on
 * in the same pass. It is never dropped: a fix (a new change of the tenant clears
 * the backoff) commits it.
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
      /** Seconds before a failed intent is due again, by its attempts ({@link retryDelaySeconds}). */
      retryDelay?: (attempts: number) => number;
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
    // Tenants whose next intent failed or waits for its retry: their later intents wait too.
    const held = new Set<string>();
    let after = '0';
    for (;;) {
      const rows: IntentRow[] = await this.deps.db.query(
        `SELECT id, project_id, change, attempts, coalesce(retry_at > now(), false) AS waiting
           FROM state_intents WHERE done_at IS NULL AND id > $1 ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      for (const row of rows) {
        if (this.stopped) return;
        after = row.id;
        if (held.has(row.project_id)) continue;
        if (row.waiting || !(await this.process(row))) held.add(row.project_id);
      }
      if (rows.length < BATCH) return;
    }
  }

  /** Commits one intent; false when it failed (it is then due again after its backoff). */
  private async process(row: IntentRow): Promise<boolean> {
    let commit: string | null;
    try {
      const result = await this.deps.target.commit(row.change);
      commit = result.commit ?? result.head;
    } catch (error) {
      if (error instanceof DeposedError) throw error;
      const attempts = row.attempts + 1;
      const delay = (this.deps.retryDelay ?? retryDelaySeconds)(attempts);
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error(
        { intent: row.id, namespace: row.change.namespace, attempts, retryInSeconds: delay, err: error },
        'could not commit a change: its tenant waits and retries, the others go on',
      );
      await this.deps.db.query(
        `UPDATE state_intents SET attempts = $2, error = $3, retry_at = now() + make_interval(secs => $4) WHERE id = $1`,
        [row.id, attempts, message.slice(0, 2000), delay],
      );
      // The request waiting for it answers now: the change is recorded, and its tenant shows why it waits.
      await this.announce(row.id);
      return false;
    }
    await this.deps.db.query(`UPDATE state_intents SET done_at = now(), commit = $2, error = NULL, retry_at = NULL WHERE id = $1`, [row.id, commit]);
    await this.announce(row.id);
    return true;
  }

  private async announce(id: string): Promise<void> {
    await this.deps.db.query(`SELECT pg_notify('${CHANNELS.intentDone}', $1)`, [id]);
  }
}
