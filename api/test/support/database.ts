import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/data-source.js';

/** A fresh, migrated database of the run's PostgreSQL, cloned from the template. */
export async function createTestDatabase(): Promise<{ url: string; dataSource: DataSource; drop(): Promise<void> }> {
  const base = process.env.DANGUS_TEST_PG_URL;
  if (!base) throw new Error('DANGUS_TEST_PG_URL is unset: run the api tests through jest (its global setup starts PostgreSQL).');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE dangus_template`);
  await admin.end();
  const url = base.replace(/\/dangus$/, `/${name}`);
  const dataSource = await openDatabase(url, { poolSize: 4 });
  return {
    url,
    dataSource,
    async drop() {
      await dataSource.destroy();
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
