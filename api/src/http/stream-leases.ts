import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

/** A lease lives this long without renewal: how long a dead replica's streams still count. */
const LEASE_SECONDS = 60;
/** Open streams' leases are renewed this often. */
const RENEW_MS = 20_000;

/**
 * The live streams a user holds open on every api replica, counted in PostgreSQL so
 * a per-user limit holds whichever replica a browser reaches (docs/architecture.md#process-roles).
 * An open takes the user's advisory lock, drops expired leases, counts and inserts;
 * the process renews its leases while their streams are open and deletes each at
 * its close. A replica killed mid-stream leaves leases that expire within a minute.
 */
export class StreamLeases {
  private readonly held = new Set<string>();

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
  ) {
    setInterval(() => void this.renew(), RENEW_MS).unref();
  }

  /** A lease for one more stream of the user, or null when `max` are open already. */
  async acquire(userId: string, max: number | null): Promise<string | null> {
    const id = await this.db.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('stream_leases:' || $1, 0))`, [userId]);
      await manager.query(`DELETE FROM stream_leases WHERE user_id = $1 AND expires_at < now()`, [userId]);
      if (max !== null) {
        const [row] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM stream_leases WHERE user_id = $1`, [userId]);
        if ((row?.n ?? 0) >= max) return null;
      }
      const [lease] = await manager.query<{ id: string }[]>(
        `INSERT INTO stream_leases (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id`,
        [userId, LEASE_SECONDS],
      );
      return lease?.id ?? null;
    });
    if (id !== null) this.held.add(id);
    return id;
  }

  release(id: string): void {
    this.held.delete(id);
    this.db.query(`DELETE FROM stream_leases WHERE id = $1`, [id]).catch((error: unknown) => {
      // It expires by itself.
      this.logger.warn({ err: error }, 'could not release a stream lease');
    });
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    await this.db
      .query(`UPDATE stream_leases SET expires_at = now() + make_interval(secs => $2) WHERE id = ANY($1::bigint[])`, [[...this.held], LEASE_SECONDS])
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not renew the stream leases'));
  }
}
