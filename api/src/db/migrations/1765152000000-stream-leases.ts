import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stream_leases`: the live streams (SSE) each user holds open, on every api
 * replica, so MAX_STREAMS_PER_USER holds across replicas. A replica renews the
 * leases of its open streams; a replica that dies leaves leases that expire.
 */
export class StreamLeases1765152000000 implements MigrationInterface {
  name = 'StreamLeases1765152000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_leases (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX stream_leases_user ON stream_leases (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_leases`);
  }
}
