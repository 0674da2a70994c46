import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): whether a preview was closed because its pull request closed (or the
 * reconcile found it no longer open). Such a preview opens again only on `reopened` (or a
 * reconcile that sees the pull request open): a late `synchronize` or `labeled` delivery
 * never brings it back. A preview torn down from the UI or expired opens again on a new push.
 */
export class PreviewPullClosed1765470000000 implements MigrationInterface {
  name = 'PreviewPullClosed1765470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE previews ADD COLUMN pull_closed boolean NOT NULL DEFAULT false`);
    // The previews closed so far by their pull request, by the reasons that wrote it.
    await q.query(`UPDATE previews SET pull_closed = true
                    WHERE state = 'closed' AND (reason LIKE 'pull request #% was %' OR reason LIKE 'the pull request is no longer open%')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE previews DROP COLUMN pull_closed`);
  }
}
