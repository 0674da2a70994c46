import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GitHub App user tokens expire (8 hours, GitHub's default) and come with a refresh token
 * (6 months) that rotates on each use (docs/architecture.md#github-app,
 * github/user-tokens.ts): `users.github_refresh_token` (encrypted, as the access token),
 * `github_token_expires_at` and `github_refresh_token_expires_at` are stored at sign-in and
 * at each refresh; null for a token that does not expire (an OAuth app's, a sign-in before
 * this migration: such a user is asked with their token as it is until they sign in again).
 *
 * `services.repository_rechecked_at`: when the binding's re-check last ended (any outcome),
 * so the hourly pass rotates through the bindings it keeps instead of asking the same 500.
 *
 * Bindings with no recorded prover (made before migration 1765570000000) get
 * `repository_proven_at = now()`: their grace (a binding nobody could be asked about is
 * kept at most 7 days after its last proof, github/binding-recheck.ts) starts here, so the
 * first pass after the upgrade does not clear bindings whose members' sign-ins simply
 * expired; a member who reads the repository proves it meanwhile, and a definite refusal
 * still clears it at once.
 */
export class UserTokenRefresh1765590000000 implements MigrationInterface {
  name = 'UserTokenRefresh1765590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN github_refresh_token text, ADD COLUMN github_token_expires_at timestamptz, ADD COLUMN github_refresh_token_expires_at timestamptz`);
    await q.query(`ALTER TABLE services ADD COLUMN repository_rechecked_at timestamptz`);
    await q.query(
      `UPDATE services SET repository_proven_at = now()
        WHERE github_repository_id IS NOT NULL AND NOT github_repository_public_only AND repository_proven_by IS NULL AND repository_proven_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN repository_rechecked_at`);
    await q.query(`ALTER TABLE users DROP COLUMN github_refresh_token, DROP COLUMN github_token_expires_at, DROP COLUMN github_refresh_token_expires_at`);
  }
}
