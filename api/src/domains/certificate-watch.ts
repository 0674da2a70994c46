/**
 * The renewal watch (issue 34), on the leading controller: cert-manager's Certificates are
 * read every few minutes; one that was valid (Ready) and now fails (its renewal refused)
 * is an event of its service, told once per failure in the service's activity with
 * cert-manager's reason in plain words (describeCertificate); admins see it failing on the
 * System page (GET /api/system/certificates). Whether each was valid is kept in
 * `certificate_watch`, so a restart neither repeats nor misses one.
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { describeCertificate, type CertificateObject } from '../kube/certificates.js';

export interface CertificateWatchDeps {
  db: DataSource;
  /** Every Certificate of the cluster (Certificates.list). */
  list: () => Promise<CertificateObject[]>;
  logger: Logger;
}

/** One look: how many failures were told. */
export async function watchCertificateRenewals(deps: CertificateWatchDeps): Promise<number> {
  let told = 0;
  for (const cert of await deps.list()) {
    const namespace = cert.metadata?.namespace ?? '';
    const name = cert.metadata?.name ?? '';
    if (!namespace || !name) continue;
    const state = describeCertificate(cert);
    const failed = state.state === 'failed';
    try {
      told += await deps.db.transaction(async (manager) => {
        const [row] = await manager.query<{ was_ready: boolean }[]>(`SELECT was_ready FROM certificate_watch WHERE namespace = $1 AND name = $2 FOR UPDATE`, [namespace, name]);
        const wasReady = row?.was_ready ?? false;
        const nowReady = state.state === 'ready' || (wasReady && !failed);
        await manager.query(
          `INSERT INTO certificate_watch (namespace, name, was_ready) VALUES ($1, $2, $3)
           ON CONFLICT (namespace, name) DO UPDATE SET was_ready = $3, updated_at = now()`,
          [namespace, name, nowReady],
        );
        if (!(wasReady && failed)) return 0;
        const hosts = cert.spec?.dnsNames ?? [];
        const services = await manager.query<{ service_id: string; domain: string }[]>(
          `SELECT service_id, domain FROM custom_domains WHERE domain = ANY($1::varchar[]) AND status = 'verified'`,
          [hosts],
        );
        for (const { service_id, domain } of services) {
          await manager.query(
            `INSERT INTO service_activity (service_id, actor_id, actor_login, action, subject) VALUES ($1, NULL, 'cert-manager', 'certificate.failed', $2)`,
            [service_id, `${domain}: ${state.message}`],
          );
        }
        deps.logger.warn({ namespace, name, hosts, reason: state.message }, 'a certificate that was valid fails to renew');
        return 1;
      });
    } catch (error) {
      deps.logger.warn({ err: error, namespace, name }, 'certificate renewal watch failed for one certificate');
    }
  }
  return told;
}

/** Looks every `periodMs` (5 minutes); stop() ends it. */
export function startCertificateWatch(deps: CertificateWatchDeps, periodMs = 300_000): { pass(): Promise<number>; stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    watchCertificateRenewals(deps)
      .catch((error: unknown) => deps.logger.debug({ err: error }, 'cannot list the certificates (cert-manager not installed?)'))
      .finally(() => {
        running = false;
      });
  }, periodMs);
  timer.unref();
  return { pass: () => watchCertificateRenewals(deps), stop: () => clearInterval(timer) };
}
