import pg from 'pg';
import { DataSource } from 'typeorm';
import { entities } from './entities/index.js';
import { migrations } from './migrations/index.js';

/** A TypeORM DataSource on `url`; the schema comes from migrations only. */
export function createDataSource(url: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: { max: options.poolSize ?? 10 },
  });
}

/** The advisory-lock key that serializes migrations across processes ("migr"). */
const MIGRATIONS_LOCK_KEY = 0x6d696772;

/**
 * Opens the DataSource and applies pending migrations (each in its own transaction).
 * Replicas that start together (api replicas, controllers, a rolling upgrade) take
 * turns under an advisory lock: the first migrates, the others find nothing to do.
 */
export async function openDatabase(url: string, options: { poolSize?: number } = {}): Promise<DataSource> {
  const dataSource = createDataSource(url, options);
  await dataSource.initialize();
  // The lock's own session: it ends (and so unlocks) with this process if it dies mid-way.
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.end();
  }
  return dataSource;
}
