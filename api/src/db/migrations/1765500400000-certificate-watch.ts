import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The renewal watch (issue 34): whether each cert-manager Certificate was seen valid
 * (`was_ready`), so that one failing after it was valid is told once to its service's
 * owner (service_activity `certificate.failed`), across restarts of the controller.
 */
export class CertificateWatch1765500400000 implements MigrationInterface {
  name = 'CertificateWatch1765500400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE certificate_watch (
        namespace varchar(63) NOT NULL,
        name varchar(253) NOT NULL,
        was_ready boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (namespace, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE certificate_watch`);
  }
}
