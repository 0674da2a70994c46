import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The seed's data model, plus sessions and the owner column that keeps subdomains unique. */
export class InitialSchema1764201600000 implements MigrationInterface {
  name = 'InitialSchema1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        github_id bigint NOT NULL UNIQUE,
        github_username varchar(255) NOT NULL,
        github_access_token text NOT NULL,
        hash varchar(6) NOT NULL UNIQUE CHECK (hash ~ '^[a-z0-9]{6}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);
    await q.query(`
      CREATE TABLE projects (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(63) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, name)
      )`);
    await q.query(`
      CREATE TABLE services (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(63) NOT NULL,
        repo_url text NOT NULL,
        branch varchar(255) NOT NULL DEFAULT 'main',
        dockerfile_path varchar(255) NOT NULL DEFAULT 'Dockerfile',
        port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
        storage_gb integer CHECK (storage_gb BETWEEN 1 AND 10),
        health_check_path varchar(255),
        webhook_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (project_id, name),
        UNIQUE (user_id, name)
      )`);
    await q.query(`
      CREATE TABLE env_vars (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        key varchar(255) NOT NULL,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (service_id, key)
      )`);
    await q.query(`
      CREATE TABLE deployments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        commit_sha varchar(40) NOT NULL,
        commit_message text,
        status varchar(20) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'building', 'deploying', 'live', 'failed')),
        reason text,
        image_tag text,
        build_logs text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX deployments_service_created_idx ON deployments (service_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['deployments', 'env_vars', 'services', 'projects', 'sessions', 'users']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
