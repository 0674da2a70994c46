import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who proved a service's repository binding, and when (docs/architecture.md#github-app):
 * `services.repository_proven_by` is the member whose own GitHub App token showed they read
 * the repository (null for a binding shown only by publicness, and once that member's row is
 * deleted), `repository_proven_at` when. A binding is proven again (or cleared) when its
 * prover no longer holds the right to bind (left the team or the project, demoted, blocked)
 * and once its proof is older than a day (github/binding-recheck.ts).
 *
 * Existing bindings: nobody recorded who proved them, so none is attributed to anyone
 * (`repository_proven_by` null, `repository_proven_at` null). A binding without a prover is
 * due at once: the leading controller's first pass (and any build before it) asks the
 * service's current members who may change it; one who reads the repository proves it
 * again, and when none does (every one refused by GitHub, or none with a token to ask
 * with) it is cleared, as migration 1765460000000 cleared the unproven ones. Attributing
 * it to the owner instead would keep a binding a former member made of their own
 * repository for as long as the owner's token cannot be asked. GitHub not answering
 * clears nothing. Public-only bindings are left as they are (publicness is their proof).
 */
export class RepositoryProofs1765570000000 implements MigrationInterface {
  name = 'RepositoryProofs1765570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN repository_proven_by uuid REFERENCES users(id) ON DELETE SET NULL`);
    await q.query(`ALTER TABLE services ADD COLUMN repository_proven_at timestamptz`);
    await q.query(`CREATE INDEX services_repository_proven_by ON services (repository_proven_by) WHERE repository_proven_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN repository_proven_at`);
    await q.query(`ALTER TABLE services DROP COLUMN repository_proven_by`);
  }
}
