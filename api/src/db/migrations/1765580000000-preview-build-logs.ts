import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): the log of each preview's last build, stored as it streams (the build
 * pod is garbage-collected) and redacted as a deployment's is. One row per preview, for the
 * head commit it built last: a newer push's build starts it afresh. It goes with its preview.
 */
export class PreviewBuildLogs1765580000000 implements MigrationInterface {
  name = 'PreviewBuildLogs1765580000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE preview_build_logs (
      preview_id uuid PRIMARY KEY REFERENCES previews(id) ON DELETE CASCADE,
      head_sha varchar(40) NOT NULL,
      log text NOT NULL DEFAULT '',
      complete boolean NOT NULL DEFAULT false,
      started_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE preview_build_logs`);
  }
}
