import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry's push notifications (docs/architecture.md#builds): each push of a tagged
 * image the registry reports, once (`event_key`: the registry's event id, or what identifies
 * Harbor's payload), with the build it ended, if one was waiting for it. The pipeline takes a
 * build's end and digest from here as soon as the push is recorded.
 */
export class RegistryEvents1765440000000 implements MigrationInterface {
  name = 'RegistryEvents1765440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_key text NOT NULL UNIQUE,
        source text NOT NULL CHECK (source IN ('distribution', 'harbor')),
        repository text NOT NULL,
        tag text NOT NULL,
        digest text NOT NULL,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        deployment_id uuid REFERENCES deployments(id) ON DELETE SET NULL,
        outcome text NOT NULL CHECK (outcome IN ('matched', 'unknown'))
      )`);
    await q.query(`CREATE INDEX registry_events_deployment ON registry_events (deployment_id) WHERE deployment_id IS NOT NULL`);
    await q.query(`CREATE INDEX registry_events_received ON registry_events (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE registry_events`);
  }
}
