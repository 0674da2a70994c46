import { rm } from 'node:fs/promises';

export async function teardownPostgres(): Promise<void> {
  const holder = globalThis as { __dangusPg?: { stop(): Promise<void> } };
  const db = holder.__dangusPg;
  holder.__dangusPg = undefined;
  if (!db) return;
  await db.stop();
  const dir = process.env.DANGUS_TEST_PG_DIR;
  if (dir) await rm(dir, { recursive: true, force: true });
}
