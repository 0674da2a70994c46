import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The push-to-live pipeline (issue 6): what triggered each deployment, which one
 * is current per service, the commit status last posted to GitHub, and every
 * webhook delivery with the answer it got (so a redelivery gets the same one).
 */
export class Pipeline1764374400000 implements MigrationInterface {
  name = 'Pipeline1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE deployments
        ADD COLUMN trigger varchar(10) NOT NULL DEFAULT 'manual' CHECK (trigger IN ('push', 'manual', 'config')),
        ADD COLUMN started_at timestamptz,
        ADD COLUMN github_status varchar(10)`);
    // The pipeline's work list: every row not yet final.
    await q.query(`CREATE INDEX deployments_active_idx ON deployments (service_id) WHERE status IN ('pending', 'building', 'deploying')`);
    // Exactly one deployment per service is the current one: the image its Deployment runs.
    await q.query(`ALTER TABLE services ADD COLUMN current_deployment_id uuid REFERENCES deployments(id) ON DELETE SET NULL`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        delivery_id varchar(100) NOT NULL,
        event varchar(100) NOT NULL,
        outcome varchar(20) NOT NULL CHECK (outcome IN ('deployed', 'ignored', 'ping', 'rejected')),
        reason text,
        status_code integer NOT NULL,
        deployment_id uuid REFERENCES deployments(id) ON DELETE SET NULL,
        response jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A delivery id is answered once per service; rejected (unsigned) deliveries never block the genuine one.
    await q.query(
      `CREATE UNIQUE INDEX webhook_deliveries_once_idx ON webhook_deliveries (service_id, delivery_id) WHERE outcome <> 'rejected'`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_recent_idx ON webhook_deliveries (service_id, received_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`ALTER TABLE services DROP COLUMN current_deployment_id`);
    await q.query(`DROP INDEX deployments_active_idx`);
    await q.query(`ALTER TABLE deployments DROP COLUMN trigger, DROP COLUMN started_at, DROP COLUMN github_status`);
  }
}
