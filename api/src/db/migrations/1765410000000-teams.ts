import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Teams (issue 36). A team's space is an account row in `users` of kind `team`: it owns
 * the team's projects and services exactly as a person owns theirs, so its hash (unique
 * across people and teams: the one `users_hash_key`) names its namespaces and hosts, and
 * the tenant loader, the pipeline and the per-owner limits read it unchanged. Nobody signs
 * in as a team account: its `github_id` is negative (GitHub's ids are positive) and it has
 * no token. Existing rows are untouched: every person stays `person`, every project where
 * it is (the upgrade test checks every namespace, host and repository path).
 */
export class Teams1765410000000 implements MigrationInterface {
  name = 'Teams1765410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN kind varchar(10) NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'team'))`);
    await q.query(`CREATE SEQUENCE team_account_github_ids START 1`);
    await q.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        slug varchar(40) NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE team_members (
        team_id uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(10) NOT NULL CHECK (role IN ('owner', 'maintainer', 'developer', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, user_id)
      )`);
    await q.query(`CREATE INDEX team_members_user ON team_members (user_id)`);
    await q.query(`
      CREATE TABLE project_members (
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(10) NOT NULL CHECK (role IN ('owner', 'maintainer', 'developer', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, user_id)
      )`);
    await q.query(`CREATE INDEX project_members_user ON project_members (user_id)`);
    await q.query(`
      CREATE TABLE team_invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        team_id uuid NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        role varchar(10) NOT NULL CHECK (role IN ('owner', 'maintainer', 'developer', 'viewer')),
        github_login varchar(39),
        token_hash char(64) NOT NULL UNIQUE,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        used_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE activity_log (
        id bigserial PRIMARY KEY,
        team_id uuid REFERENCES teams(id) ON DELETE CASCADE,
        project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
        actor_id uuid REFERENCES users(id) ON DELETE SET NULL,
        actor_login varchar(39) NOT NULL,
        action varchar(60) NOT NULL,
        subject text NOT NULL,
        ip varchar(45),
        user_agent varchar(300),
        intent_id bigint,
        commit_sha varchar(40),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX activity_log_team ON activity_log (team_id, id DESC)`);
    await q.query(`CREATE INDEX activity_log_project ON activity_log (project_id, id DESC)`);
    await q.query(`CREATE INDEX activity_log_intent ON activity_log (intent_id) WHERE intent_id IS NOT NULL`);
    // Every change the state repo commits is an intent (coordination/outbox.ts): each enters
    // the log with its actor and, once committed, its commit. Where it came from is what the
    // request set in its transaction (db/request-origin.ts), null for the platform's own.
    await q.query(`
      CREATE FUNCTION dangus_log_intent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF EXISTS (SELECT 1 FROM projects WHERE id = NEW.project_id) AND NEW.change->'actor'->>'userId' IS NOT NULL THEN
            INSERT INTO activity_log (team_id, project_id, actor_id, actor_login, action, subject, ip, user_agent, intent_id)
            SELECT (SELECT t.id FROM teams t JOIN projects p ON p.user_id = t.account_id WHERE p.id = NEW.project_id),
                   NEW.project_id,
                   (SELECT id FROM users WHERE id::text = NEW.change->'actor'->>'userId'),
                   left(coalesce(NEW.change->'actor'->>'githubUsername', ''), 39),
                   left(NEW.change->>'verb', 60),
                   NEW.namespace || coalesce('/' || (NEW.change->>'serviceName'), '') || ': ' || (NEW.change->>'summary'),
                   left(nullif(current_setting('dangus.request_ip', true), ''), 45),
                   left(nullif(current_setting('dangus.request_ua', true), ''), 300),
                   NEW.id;
          END IF;
        -- An intent whose render changed nothing is marked done with the head, another
        -- change's commit: the entry then names none.
        ELSIF NEW.commit IS NOT NULL AND NEW.commit IS DISTINCT FROM OLD.commit
              AND NOT EXISTS (SELECT 1 FROM state_intents o WHERE o.commit = NEW.commit AND o.id < NEW.id) THEN
          UPDATE activity_log SET commit_sha = NEW.commit WHERE intent_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER state_intents_activity AFTER INSERT OR UPDATE OF commit ON state_intents
      FOR EACH ROW EXECUTE FUNCTION dangus_log_intent()`);
    // A member's cached project list (users.list_version) moves with their memberships and
    // with every change of a team's list (the trigger of 1764288000000 bumps the account).
    await q.query(`
      CREATE FUNCTION dangus_bump_member_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'users' THEN
          UPDATE users SET list_version = list_version + 1
           WHERE id IN (SELECT tm.user_id FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE t.account_id = NEW.id);
        ELSE
          UPDATE users SET list_version = list_version + 1
           WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_team_list_version AFTER UPDATE OF list_version ON users
      FOR EACH ROW WHEN (NEW.kind = 'team') EXECUTE FUNCTION dangus_bump_member_list_version()`);
    for (const table of ['team_members', 'project_members']) {
      await q.query(`
        CREATE TRIGGER ${table}_list_version AFTER INSERT OR DELETE OR UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION dangus_bump_member_list_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_team_list_version ON users`);
    await q.query(`DROP TRIGGER state_intents_activity ON state_intents`);
    await q.query(`DROP FUNCTION dangus_log_intent()`);
    await q.query(`DROP TABLE activity_log`);
    await q.query(`DROP TABLE team_invitations`);
    await q.query(`DROP TABLE project_members`);
    await q.query(`DROP TABLE team_members`);
    await q.query(`DROP TABLE teams`);
    await q.query(`DROP FUNCTION dangus_bump_member_list_version()`);
    await q.query(`DROP SEQUENCE team_account_github_ids`);
    await q.query(`ALTER TABLE users DROP COLUMN kind`);
  }
}
