import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown(...args) {
  const cluster = await tsImport('../cluster/src/jest-global-teardown.ts', import.meta.url);
  const postgres = await tsImport('@dangus/api/test-support/postgres-teardown', import.meta.url);
  await Promise.all([cluster.default(...args), postgres.teardownPostgres()]);
}
