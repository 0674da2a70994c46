import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): which build Secret and registry credential the leading controller
 * wrote for each preview's build, so that after a restart (or a new leader) a superseded
 * build's Secret still goes and no second credential is minted for the same build. No foreign
 * key: a row outlives its preview until the Secret and credential are gone.
 */
export class PreviewBuildSecrets1765530000000 implements MigrationInterface {
  name = 'PreviewBuildSecrets1765530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE preview_build_secrets (
      preview_id uuid PRIMARY KEY,
      head_sha varchar(40) NOT NULL,
      namespace varchar(63) NOT NULL,
      secret varchar(253) NOT NULL,
      credential varchar(200),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE preview_build_secrets`);
  }
}
