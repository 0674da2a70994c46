import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The GitHub App (docs/architecture.md#github-app): its credentials when the manifest flow
 * made it (the secrets encrypted, never in plaintext), the one-time states of that flow,
 * the installations with their repositories (GitHub's ids, so renames and transfers keep
 * them), the App webhook's deliveries, and which kind of GitHub token each user holds.
 */
export class GitHubApp1765340000000 implements MigrationInterface {
  name = 'GitHubApp1765340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE github_app (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        app_id bigint NOT NULL,
        slug varchar(100) NOT NULL,
        name varchar(100) NOT NULL,
        owner_login varchar(39),
        html_url text NOT NULL,
        client_id varchar(100) NOT NULL,
        client_secret text NOT NULL,
        private_key text NOT NULL,
        webhook_secret text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE github_app_manifest_states (
        state_hash char(64) PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE github_installations (
        id bigint PRIMARY KEY,
        account_id bigint NOT NULL,
        account_login varchar(39) NOT NULL,
        account_type varchar(20) NOT NULL,
        repository_selection varchar(10) NOT NULL,
        suspended boolean NOT NULL DEFAULT false,
        synced_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE github_installation_repositories (
        installation_id bigint NOT NULL REFERENCES github_installations(id) ON DELETE CASCADE,
        repository_id bigint NOT NULL,
        full_name varchar(140) NOT NULL,
        private boolean NOT NULL,
        PRIMARY KEY (installation_id, repository_id)
      )`);
    await q.query(`CREATE INDEX github_installation_repositories_repository ON github_installation_repositories (repository_id)`);
    await q.query(`
      CREATE TABLE github_app_deliveries (
        id bigserial PRIMARY KEY,
        delivery_id varchar(100),
        event varchar(50) NOT NULL,
        action varchar(50),
        installation_id bigint,
        outcome varchar(10) NOT NULL CHECK (outcome IN ('applied', 'ignored')),
        reason text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX github_app_deliveries_received ON github_app_deliveries (received_at DESC)`);
    // oauth: a token of the OAuth app (repo scope); app: a user token of the GitHub App;
    // none: the OAuth token was deleted when the App was connected.
    await q.query(`ALTER TABLE users ADD COLUMN github_token_kind varchar(5) NOT NULL DEFAULT 'oauth' CHECK (github_token_kind IN ('oauth', 'app', 'none'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN github_token_kind`);
    await q.query(`DROP TABLE github_app_deliveries`);
    await q.query(`DROP TABLE github_installation_repositories`);
    await q.query(`DROP TABLE github_installations`);
    await q.query(`DROP TABLE github_app_manifest_states`);
    await q.query(`DROP TABLE github_app`);
  }
}
