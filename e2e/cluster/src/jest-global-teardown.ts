// Jest global teardown of the e2e project: stops the cluster the setup started (if any).
import type {} from './jest-global-setup.js'; // declares globalThis.__dangusE2eCluster

export default async function globalTeardown(): Promise<void> {
  const cluster = globalThis.__dangusE2eCluster;
  if (!cluster) return;
  globalThis.__dangusE2eCluster = undefined;
  await cluster.stop();
}
