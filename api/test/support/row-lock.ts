import pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * A transaction of its own, on its own connection, that holds a row lock while a
 * test starts requests: each request's transaction waits on it at the point where
 * it locks that row, so a test puts a change of its own (or another request)
 * between a request's earlier reads and its transaction, without any sleep.
 */
export class RowLockBarrier {
  private constructor(
    private readonly client: pg.Client,
    private readonly watcher: pg.Client,
  ) {}

  /** Begins the transaction and runs `lockSql` (e.g. an UPDATE, or SELECT … FOR NO KEY UPDATE) in it. */
  static async hold(db: DataSource, lockSql: string, params: unknown[]): Promise<RowLockBarrier> {
    const { url } = db.options as { url: string };
    const client = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await Promise.all([client.connect(), watcher.connect()]);
    await client.query('BEGIN');
    await client.query(lockSql, params);
    return new RowLockBarrier(client, watcher);
  }

  /**
   * Resolves once `count` other sessions of this database wait on a lock (the
   * barrier's row, or their turn behind a session waiting on it), or once every one
   * of `requests` settled without waiting (code that takes no such lock). Polls
   * PostgreSQL's own view of who waits: the condition is observed, not guessed with
   * a delay.
   */
  async waiters(count: number, requests: Promise<unknown>[] = []): Promise<void> {
    let unsettled = requests.length;
    for (const pending of requests) void pending.finally(() => (unsettled -= 1)).catch(() => undefined);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { rows } = await this.watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if ((rows[0]?.n ?? 0) >= count || (requests.length > 0 && unsettled === 0)) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`fewer than ${String(count)} sessions ever waited on the barrier`);
  }

  /** Commits the barrier's transaction: the waiting requests go on and see its change. */
  async release(): Promise<void> {
    await this.client.query('COMMIT');
    await Promise.all([this.client.end(), this.watcher.end()]);
  }
}
