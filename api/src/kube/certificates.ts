/**
 * cert-manager's Certificates of a namespace, in plain words (issue 34): per host, whether
 * it is being issued, ready (until when), or failing and why, from the Certificate's
 * `status.conditions` (`Ready`, `Issuing`), `status.notAfter` and `status.lastFailureTime`.
 * Read through the Kubernetes API when a user looks (a few objects per namespace).
 */
import type { CertificateAttentionDto, CertificateStateDto } from '@dangus/common';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The fields of cert-manager.io/v1 Certificate this reads. */
export interface CertificateObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { dnsNames?: string[] };
  status?: { conditions?: Condition[]; notAfter?: string; lastFailureTime?: string; failedIssuanceAttempts?: number };
}

/** cert-manager's reasons, in words a service's owner acts on. */
const REASONS: Record<string, string> = {
  DoesNotExist: 'The certificate does not exist yet: cert-manager is asking the ACME server for it.',
  MissingData: 'The certificate\'s Secret lacks data: cert-manager is issuing it again.',
  InvalidKeyPair: 'The stored key does not match the certificate: cert-manager is issuing it again.',
  Expired: 'The certificate has expired: cert-manager is renewing it.',
  Renewing: 'The certificate is due for renewal: cert-manager is renewing it.',
  Failed: 'The ACME server refused to issue the certificate.',
};

function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** One Certificate's state (pure). */
export function describeCertificate(cert: CertificateObject): CertificateStateDto {
  const conditions = cert.status?.conditions;
  const ready = condition(conditions, 'Ready');
  const issuing = condition(conditions, 'Issuing');
  const notAfter = cert.status?.notAfter ?? null;
  if (issuing?.status === 'False' && issuing.reason === 'Failed') {
    const detail = issuing.message ? ` cert-manager says: ${issuing.message}` : '';
    return { state: 'failed', message: `${REASONS.Failed ?? ''}${detail} It tries again later by itself.`, notAfter };
  }
  if (ready?.status === 'True') {
    return { state: 'ready', message: notAfter ? `Issued; valid until ${notAfter}. cert-manager renews it before then.` : 'Issued.', notAfter };
  }
  if (issuing?.status === 'True' || ready?.status === 'False') {
    const reason = (ready?.reason && REASONS[ready.reason]) ?? 'cert-manager is issuing the certificate.';
    return { state: 'issuing', message: reason, notAfter };
  }
  return { state: 'waiting', message: 'cert-manager has not looked at the certificate yet.', notAfter };
}

/** How far ahead an expiry is worth an admin's look. */
export const EXPIRY_WARNING_MS = 14 * 24 * 3_600_000;

/** Whether an admin should look at this certificate, and why (pure). */
export function needsAttention(cert: CertificateObject, now: Date): CertificateAttentionDto | null {
  const certificate = describeCertificate(cert);
  const expiring = certificate.notAfter !== null && Date.parse(certificate.notAfter) - now.getTime() < EXPIRY_WARNING_MS;
  const why = certificate.state === 'failed' ? 'failing' : expiring ? 'expiring' : null;
  if (!why) return null;
  return { namespace: cert.metadata?.namespace ?? '', name: cert.metadata?.name ?? '', hosts: cert.spec?.dnsNames ?? [], certificate, why };
}

/** The Certificates of a namespace by the names they cover. */
export class Certificates {
  private readonly api: CustomObjectsApi;

  constructor(kube: KubeConfig) {
    this.api = kube.makeApiClient(CustomObjectsApi);
  }

  async byHost(namespace: string): Promise<Map<string, CertificateStateDto>> {
    const list = (await this.api.listNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace, plural: 'certificates' })) as {
      items?: CertificateObject[];
    };
    const byHost = new Map<string, CertificateStateDto>();
    for (const cert of list.items ?? []) {
      const state = describeCertificate(cert);
      for (const host of cert.spec?.dnsNames ?? []) byHost.set(host, state);
    }
    return byHost;
  }

  /** Every Certificate of the cluster (the renewal watch). */
  async list(): Promise<CertificateObject[]> {
    const list = (await this.api.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as { items?: CertificateObject[] };
    return list.items ?? [];
  }

  /** Every Certificate of the cluster that fails or expires within 14 days, for the System page. */
  async attention(now: Date): Promise<CertificateAttentionDto[]> {
    const list = (await this.api.listClusterCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates' })) as { items?: CertificateObject[] };
    return (list.items ?? []).map((cert) => needsAttention(cert, now)).filter((entry): entry is CertificateAttentionDto => entry !== null);
  }
}
