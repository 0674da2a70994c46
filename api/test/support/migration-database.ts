import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/data-source.js';
import { entities } from '../../src/db/entities/index.js';
import { migrations } from '../../src/db/migrations/index.js';

/** One of the product's migrations (a class of the list). */
type Migration = (typeof migrations)[number];

/** A database of the version before an upgrade, to hold that version's rows, then upgraded as the product upgrades. */
export interface OldDatabase {
  /** The database at the schema of the version before: write its rows here. */
  old: DataSource;
  /** Closes `old` and opens the database as the api does at start, running every migration left. */
  upgrade(): Promise<DataSource>;
  /** Closes what is open and drops the database. */
  drop(): Promise<void>;
}

/**
 * A database of its own on the tests' PostgreSQL (DANGUS_TEST_PG_URL), migrated with every
 * migration but `leftOut` (the upgrade under test, and any later one that builds on it): the
 * schema of the version before as far as the upgrade is concerned, while the current code
 * (a loader, a query) can still read the rows the test writes. `upgrade()` runs what was left out.
 */
export async function databaseWithout(...leftOut: Migration[]): Promise<OldDatabase> {
  const base = process.env.DANGUS_TEST_PG_URL ?? '';
  if (!base) throw new Error('DANGUS_TEST_PG_URL is unset: run the api tests through jest.');
  for (const migration of leftOut) if (!migrations.includes(migration)) throw new Error(`${migration.name} is not in the migrations' list`);
  const name = `migration_${randomBytes(6).toString('hex')}`;
  const url = base.replace(/\/dangus$/, `/${name}`);
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const old = new DataSource({ type: 'postgres', url, entities, migrations: migrations.filter((m) => !leftOut.includes(m)) });
  await old.initialize();
  await old.runMigrations({ transaction: 'each' });
  let upgraded: DataSource | undefined;
  return {
    old,
    async upgrade() {
      await old.destroy();
      upgraded = await openDatabase(url, { poolSize: 2 });
      return upgraded;
    },
    async drop() {
      if (old.isInitialized) await old.destroy();
      if (upgraded?.isInitialized) await upgraded.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
