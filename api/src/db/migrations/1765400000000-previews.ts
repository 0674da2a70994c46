import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews of pull requests (issue 35, docs/architecture.md#previews): a service's settings
 * (off, 3 at once, 7 days), and one row per pull request of a service that asked for one,
 * its host fixed at creation (unique, like services.host).
 */
export class Previews1765400000000 implements MigrationInterface {
  name = 'Previews1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services
      ADD COLUMN previews_enabled boolean NOT NULL DEFAULT false,
      ADD COLUMN previews_max integer NOT NULL DEFAULT 3,
      ADD COLUMN previews_ttl_days integer NOT NULL DEFAULT 7`);
    await q.query(`CREATE TABLE previews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
      pr_number integer NOT NULL,
      title text NOT NULL DEFAULT '',
      state varchar(20) NOT NULL,
      reason text,
      head_sha varchar(40) NOT NULL,
      head_ref varchar(255) NOT NULL,
      head_repo varchar(300),
      fork boolean NOT NULL,
      author varchar(100) NOT NULL,
      approved_sha varchar(40),
      approved_by varchar(100),
      host varchar(63) NOT NULL UNIQUE,
      pr_updated_at timestamptz NOT NULL,
      last_push_at timestamptz NOT NULL,
      closed_at timestamptz,
      github_comment_id bigint,
      github_deployment_id bigint,
      github_deployment_sha varchar(40),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (service_id, pr_number)
    )`);
    await q.query(`CREATE INDEX previews_open ON previews (service_id) WHERE closed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE previews`);
    await q.query(`ALTER TABLE services DROP COLUMN previews_enabled, DROP COLUMN previews_max, DROP COLUMN previews_ttl_days`);
  }
}
