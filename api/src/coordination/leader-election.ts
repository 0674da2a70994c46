import pg from 'pg';
import type { Logger } from 'pino';

/** The advisory-lock key of the controller's leadership ("ctrl"); the state repo's write lock is another. */
export const LEADER_LOCK_KEY = 0x6374726c;

export interface LeaderElectionOptions {
  url: string;
  logger: Logger;
  /** Between attempts of a standby (default 1 s): the failover time is about this plus PostgreSQL noticing the death. */
  retryMs?: number;
  /** Between checks of the leader's own connection (default 1 s). */
  heartbeatMs?: number;
  /** A check slower than this deposes the leader (default 3 s). */
  heartbeatTimeoutMs?: number;
  /** Starts the leader's work; returns how to stop it. Throwing gives the leadership back. */
  lead: () => Promise<() => Promise<void>>;
  /** Who this is, in the logs and `status()`. */
  identity: string;
}

/**
 * Exactly one active controller: a PostgreSQL session-level advisory lock, held on a
 * connection of its own for as long as this process leads (docs/architecture.md#process-roles).
 *
 * - A standby tries `pg_try_advisory_lock` every `retryMs` and never blocks in it.
 * - The lock ends with its session: a leader killed (its socket closes) frees it at once;
 *   a leader whose node vanished, after the TCP keepalives set on the session (about 11 s).
 * - The leader checks its session every `heartbeatMs`. A failed or slow check stops its
 *   work before the session can have ended on the server, so a deposed leader stops
 *   before another can start; the state repo's compare-and-swap in PostgreSQL
 *   (durable-state.ts) refuses a late write anyway.
 * - `stop()` gives the lock back at once: a graceful stop hands over in `retryMs`.
 */
export class LeaderElection {
  private client: pg.Client | undefined;
  private stopWork: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The tick under way (a campaign may be starting the controller): a stop waits for it. */
  private ticking: Promise<void> | undefined;
  private leading_ = false;
  private since: Date | undefined;
  private transitions = 0;
  /** Tries for the lock answered by PostgreSQL, won or not: a standby that has tried knows it waits. */
  private attempts = 0;
  private readonly retryMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.retryMs = options.retryMs ?? 1_000;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3_000;
  }

  get leading(): boolean {
    return this.leading_;
  }

  status(): { identity: string; leading: boolean; since: string | null; transitions: number; attempts: number } {
    return {
      identity: this.options.identity,
      leading: this.leading_,
      since: this.since?.toISOString() ?? null,
      transitions: this.transitions,
      attempts: this.attempts,
    };
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * Stops leading (or waiting): the work stops first, then the lock is given back. A
   * controller still starting finishes its start first, so it is stopped like any other
   * (a Ctrl-C right after start-up must not pull the database from under its start).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.depose('stopping');
  }

  /** Stops leading and gives the lock back, then tries again like a standby (a commit was refused). */
  resign(reason: string): void {
    if (!this.leading_) return;
    void this.depose(reason).then(() => this.schedule(this.retryMs));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.leading_) await this.heartbeat();
      else await this.campaign();
    } catch (error) {
      this.options.logger.warn({ err: error }, this.leading_ ? 'lost the leadership connection' : 'could not try for the leadership');
      await this.depose('connection lost');
    }
    this.schedule(this.leading_ ? this.heartbeatMs : this.retryMs);
  }

  private async campaign(): Promise<void> {
    const client = (this.client ??= await this.connect());
    const rows = await this.query<{ locked: boolean }>(client, 'SELECT pg_try_advisory_lock($1) AS locked', [LEADER_LOCK_KEY]);
    this.attempts += 1;
    if (!rows[0]?.locked) return;
    this.leading_ = true;
    this.since = new Date();
    this.transitions += 1;
    this.options.logger.info({ identity: this.options.identity }, 'leading: starting the controller');
    try {
      this.stopWork = await this.options.lead();
    } catch (error) {
      this.options.logger.error({ err: error }, 'the controller failed to start: giving the leadership back');
      await this.depose('start failed');
    }
  }

  private async heartbeat(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('no leadership connection');
    await this.query(client, 'SELECT 1', []);
  }

  private async query<T>(client: pg.Client, text: string, values: unknown[]): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${String(this.heartbeatTimeoutMs)} ms`)), this.heartbeatTimeoutMs);
    });
    try {
      return (await Promise.race([client.query(text, values), timeout])).rows as T[];
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.options.url, keepAlive: true, keepAliveInitialDelayMillis: 2_000 });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'the leadership connection failed');
      if (this.client === client) void this.depose('connection error').then(() => this.schedule(this.retryMs));
    });
    await client.connect();
    // The server drops the session (and so the lock) about 11 s after this process
    // stops answering: a standby can take over after a node's death, not hours later.
    await client.query(`SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`);
    return client;
  }

  /** The work stops before the lock is released (or the session dropped): never two leaders writing. */
  private async depose(reason: string): Promise<void> {
    const stopWork = this.stopWork;
    const wasLeading = this.leading_;
    this.stopWork = undefined;
    this.leading_ = false;
    this.since = undefined;
    // A stop of the process is no warning; any other end of the leadership is.
    if (wasLeading) this.options.logger[reason === 'stopping' ? 'info' : 'warn']({ reason, identity: this.options.identity }, 'no longer leading: stopping the controller');
    if (stopWork) {
      await stopWork().catch((error: unknown) => this.options.logger.error({ err: error }, 'the controller did not stop cleanly'));
    }
    const client = this.client;
    this.client = undefined;
    if (client) {
      if (wasLeading) await client.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK_KEY]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
