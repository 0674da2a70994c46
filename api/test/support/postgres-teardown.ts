import { rm } from 'node:fs/promises';

export async function teardownPostgres(): Promise<void> {
  const db = (globalThis as { __dangusPg?: { stop(): Promise<void> } }).__dangusPg;
  await db?.stop();
  const dir = process.env.DANGUS_TEST_PG_DIR;
  if (dir) await rm(dir, { recursive: true, force: true });
}
