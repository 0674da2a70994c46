// The e2e project's global setup: the control plane (cluster/), and the run's
// PostgreSQL for the pipeline tests that run the api in-process (shared with the
// api project when both run). Loaded through tsx: Jest's own loader does not
// map the sources' `./x.js` imports to `./x.ts`.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup(...args) {
  const cluster = await tsImport('../cluster/src/jest-global-setup.ts', import.meta.url);
  const postgres = await tsImport('@dangus/api/test-support/postgres-setup', import.meta.url);
  await Promise.all([cluster.default(...args), postgres.setupPostgres()]);
}
