import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The GitHub App's pushes, builds and reports (docs/architecture.md#github-app): a service
 * keeps GitHub's id of its repository (so a rename or a transfer keeps routing the App's
 * pushes to it), a delivery says whether it came through the App's webhook (it can be
 * redelivered through GitHub's API), and a build keeps the ids of the Check Run and the
 * GitHub Deployment it reports to.
 */
export class GitHubAppBuilds1765370000000 implements MigrationInterface {
  name = 'GitHubAppBuilds1765370000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN github_repository_id bigint`);
    await q.query(`CREATE INDEX services_github_repository ON services (github_repository_id) WHERE github_repository_id IS NOT NULL`);
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN via_app boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE deployments ADD COLUMN github_check_run_id bigint, ADD COLUMN github_deployment_id bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN github_check_run_id, DROP COLUMN github_deployment_id`);
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN via_app`);
    await q.query(`DROP INDEX services_github_repository`);
    await q.query(`ALTER TABLE services DROP COLUMN github_repository_id`);
  }
}
