import { register } from 'tsx/esm/api';

register();

export default async function globalTeardown() {
  const { teardownPostgres } = await import('./postgres-teardown.ts');
  await teardownPostgres();
}
