import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A custom domain not verified within its 72 hours of checks is `expired`: the claim is
 * released (another claimant may add the name: the uniqueness holds among the live claims
 * only), and the owner's row stays to say why until they remove it or add it again.
 */
export class DomainExpiry1765500100000 implements MigrationInterface {
  name = 'DomainExpiry1765500100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE custom_domains DROP CONSTRAINT custom_domains_status_check`);
    await q.query(`ALTER TABLE custom_domains ADD CONSTRAINT custom_domains_status_check CHECK (status IN ('pending', 'verified', 'expired'))`);
    await q.query(`ALTER TABLE custom_domains ADD COLUMN expired_at timestamptz`);
    await q.query(`ALTER TABLE custom_domains DROP CONSTRAINT custom_domains_domain_key`);
    await q.query(`CREATE UNIQUE INDEX custom_domains_domain_key ON custom_domains (domain) WHERE status <> 'expired'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM custom_domains WHERE status = 'expired'`);
    await q.query(`DROP INDEX custom_domains_domain_key`);
    await q.query(`ALTER TABLE custom_domains ADD CONSTRAINT custom_domains_domain_key UNIQUE (domain)`);
    await q.query(`ALTER TABLE custom_domains DROP COLUMN expired_at`);
    await q.query(`ALTER TABLE custom_domains DROP CONSTRAINT custom_domains_status_check`);
    await q.query(`ALTER TABLE custom_domains ADD CONSTRAINT custom_domains_status_check CHECK (status IN ('pending', 'verified'))`);
  }
}
