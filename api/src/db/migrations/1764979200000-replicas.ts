import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Many api replicas and one controller (docs/architecture.md#process-roles):
 *
 * - `state_intents`: the outbox. An api records what a user changed (actor, verb,
 *   tenant, summary); the controller turns each intent into its commit and marks it.
 * - `state_commits`: the state repo's durable copy. Every commit the controller makes
 *   is stored here, as the pack of the objects it adds, before the branch moves; a
 *   standby (or an api's read-only mirror) rebuilds the same history from it. The
 *   unique parent makes the branch a compare-and-swap: a deposed leader cannot add a
 *   second child to a commit.
 * - `deployment_events`: what the `/api/events` streams send, with an id a browser
 *   resumes from (`Last-Event-ID`) on whichever replica it reaches next.
 */
export class Replicas1764979200000 implements MigrationInterface {
  name = 'Replicas1764979200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE state_intents (
        id bigserial PRIMARY KEY,
        project_id uuid NOT NULL,
        namespace varchar(63) NOT NULL,
        change jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        commit varchar(40),
        error text
      )`);
    await q.query(`CREATE INDEX state_intents_pending ON state_intents (id) WHERE done_at IS NULL`);
    await q.query(`
      CREATE TABLE state_commits (
        seq bigserial PRIMARY KEY,
        commit varchar(40) NOT NULL UNIQUE,
        parent varchar(40) NOT NULL UNIQUE,
        pack bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE deployment_events (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deployment_events_user ON deployment_events (user_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deployment_events`);
    await q.query(`DROP TABLE state_commits`);
    await q.query(`DROP TABLE state_intents`);
  }
}
