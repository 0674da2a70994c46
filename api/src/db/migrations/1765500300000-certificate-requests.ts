import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The HTTP-01 rate limit (issue 34): when a custom domain's certificate was asked for
 * (rendered into its Certificate). At most CERT_REQUESTS_PER_HOUR are asked for in any
 * hour; the others wait in order. The domains that have their certificate today keep it.
 */
export class CertificateRequests1765500300000 implements MigrationInterface {
  name = 'CertificateRequests1765500300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE custom_domains ADD COLUMN certificate_requested_at timestamptz`);
    await q.query(
      `UPDATE custom_domains SET certificate_requested_at = coalesce((routing->>'at')::timestamptz, now())
        WHERE status = 'verified' AND coalesce((routing->>'ok')::boolean, false)`,
    );
    await q.query(`CREATE INDEX custom_domains_certificate_requests ON custom_domains (certificate_requested_at) WHERE certificate_requested_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE custom_domains DROP COLUMN certificate_requested_at`);
  }
}
