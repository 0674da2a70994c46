// Jest loads global setup files with Node's own loader, outside its module
// system and transforms: tsx lets them import the TypeScript sources.
import { register } from 'tsx/esm/api';

register();

export default async function globalSetup() {
  const { setupPostgres } = await import('./postgres-setup.ts');
  await setupPostgres();
}
