import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `custom_domains` (issue 34): a service's own domains, at most five, each unique across the
 * platform (the unique index answers the second claimant, who learns nothing of the first).
 * `token` is the value the TXT record `_dangus-challenge.{domain}` must hold; `last_check`
 * what the last look found; `next_check_at` the backoff schedule of the leading controller
 * (null once verified or after 72 hours); `routing` whether the domain points at the platform
 * and answers over HTTP, checked before a certificate is asked for. Gone with the service.
 */
export class CustomDomains1765420000000 implements MigrationInterface {
  name = 'CustomDomains1765420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE custom_domains (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        domain varchar(253) NOT NULL,
        token varchar(64) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified')),
        last_check jsonb,
        checks integer NOT NULL DEFAULT 0,
        next_check_at timestamptz,
        verified_at timestamptz,
        routing jsonb,
        http_token varchar(64),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT custom_domains_domain_key UNIQUE (domain)
      )`);
    await q.query(`CREATE INDEX custom_domains_service ON custom_domains (service_id)`);
    await q.query(`CREATE INDEX custom_domains_due ON custom_domains (next_check_at) WHERE next_check_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE custom_domains`);
  }
}
