import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Repository bindings proven by the acting user (docs/architecture.md#github-app). Before
 * this version a service was bound to GitHub's repository id whenever any installation of
 * the App held a repository of the typed name, so a binding may be another account's private
 * repository. A migration cannot ask GitHub who reads what, so a binding stays only where the
 * rows themselves show it was harmless:
 * - the repository is public (per the installation rows): anyone reads it;
 * - or it is held by an installation on the personal account of the service's owner (their
 *   own repository: `users.github_id` is the installation's account id).
 * Every other binding (a private repository of an organization or of another account, a
 * team's service, a repository no installation holds now) is cleared: the service then reads
 * as unbound (a public repository anonymously; a private one refused with the reason saying
 * "Check access") until a member shows GitHub they can read it (Check access, or saving the
 * repository again). Not undone by `down`: the cleared ids were never proven.
 *
 * `services.github_repository_public_only`: the binding was shown only by the repository
 * being public (anyone reads it), not by the user's access; it holds while the repository
 * stays public, and is dropped once GitHub says it is private (repository-binding.ts). Kept
 * bindings of a public repository that is not the owner's own account's are marked so.
 */
export class RepositoryBindings1765460000000 implements MigrationInterface {
  name = 'RepositoryBindings1765460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN github_repository_public_only boolean NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE services s SET github_repository_id = NULL
       WHERE s.github_repository_id IS NOT NULL
         AND NOT EXISTS (
               SELECT 1 FROM github_installation_repositories r
                WHERE r.repository_id = s.github_repository_id AND NOT r.private)
         AND NOT EXISTS (
               SELECT 1 FROM github_installation_repositories r
                 JOIN github_installations i ON i.id = r.installation_id
                 JOIN users u ON u.id = s.user_id
                WHERE r.repository_id = s.github_repository_id
                  AND i.account_type = 'User' AND i.account_id > 0 AND u.github_id = i.account_id)`);
    await q.query(`
      UPDATE services s SET github_repository_public_only = true
       WHERE s.github_repository_id IS NOT NULL
         AND NOT EXISTS (
               SELECT 1 FROM github_installation_repositories r
                 JOIN github_installations i ON i.id = r.installation_id
                 JOIN users u ON u.id = s.user_id
                WHERE r.repository_id = s.github_repository_id
                  AND i.account_type = 'User' AND i.account_id > 0 AND u.github_id = i.account_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The bindings cleared were never shown to be legitimate: nothing to restore.
    await q.query(`ALTER TABLE services DROP COLUMN github_repository_public_only`);
  }
}
