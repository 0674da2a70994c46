import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failure isolation (docs/architecture.md#failure-isolation):
 *
 * - `state_intents.retry_at`: a tenant whose intent failed is tried again from then
 *   on (backoff), while other tenants' intents go on; a new change of the tenant
 *   clears it, so a fix is tried at once.
 * - `tenant_failures`: why a tenant's changes do not reach the state repo, one row
 *   per failing tenant, written by the controller and cleared by its next commit;
 *   the owner sees it on the service, admins on the System page.
 */
export class TenantFailures1765065600000 implements MigrationInterface {
  name = 'TenantFailures1765065600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE state_intents ADD COLUMN retry_at timestamptz`);
    await q.query(`CREATE INDEX state_intents_pending_project ON state_intents (project_id) WHERE done_at IS NULL`);
    await q.query(`
      CREATE TABLE tenant_failures (
        project_id uuid PRIMARY KEY,
        namespace varchar(63) NOT NULL,
        message text NOT NULL,
        attempts integer NOT NULL DEFAULT 1,
        since timestamptz NOT NULL DEFAULT now(),
        last_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_failures`);
    await q.query(`DROP INDEX state_intents_pending_project`);
    await q.query(`ALTER TABLE state_intents DROP COLUMN retry_at`);
  }
}
