import type { CertificateAttentionDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, LoadingBlock, Section } from '../../../components/ui';
import { api } from '../../../lib/api-client';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { formatAbsolute } from '../../../lib/format';

/** "in 5 days", "in less than a day", "2 days ago": how far the expiry is. */
function untilExpiry(iso: string): string {
  const days = Math.round((Date.parse(iso) - Date.now()) / 86_400_000);
  if (days > 1) return `in ${String(days)} days`;
  if (days >= 0) return 'within a day';
  return `${String(-days)} day${days === -1 ? '' : 's'} ago`;
}

/** `GET /api/system/certificates`: cert-manager's certificates failing or expiring within 14 days (admins). */
export function useCertificatesNeedingAttention(enabled: boolean) {
  return useQuery({
    queryKey: ['system', 'certificates'],
    queryFn: () => api.get<CertificateAttentionDto[]>('/api/system/certificates'),
    enabled,
    refetchInterval: 60_000,
    retry: false,
  });
}

function Entry({ entry }: { entry: CertificateAttentionDto }) {
  const { certificate } = entry;
  return (
    <li className="space-y-1 px-4 py-3 text-sm" aria-label={`${entry.namespace}/${entry.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={entry.why === 'failing' ? 'bad' : 'warn'}>{entry.why === 'failing' ? 'Failing' : 'Expiring soon'}</Badge>
        <code className="font-mono">{entry.hosts.join(', ') || entry.name}</code>
        <span className="text-muted">
          in <span className="font-mono">{entry.namespace}</span>
        </span>
        {certificate.notAfter ? (
          <span className="ml-auto text-muted">
            expires{' '}
            <time dateTime={certificate.notAfter} title={formatAbsolute(certificate.notAfter)}>
              {untilExpiry(certificate.notAfter)}
            </time>
          </span>
        ) : null}
      </div>
      <p className="text-muted">{certificate.message}</p>
    </li>
  );
}

/**
 * The System page's certificates (issue 34): every cert-manager Certificate of the cluster
 * that fails or expires within 14 days, with cert-manager's reason in plain words.
 */
export function CertificatesPanel({ connected }: { connected: boolean }) {
  const list = useCertificatesNeedingAttention(connected);
  let body;
  if (!connected) body = <p className="text-sm text-muted">No cluster is connected: there are no certificates to watch.</p>;
  else if (list.isPending) body = <LoadingBlock label="Loading certificates…" />;
  else if (list.error) {
    body =
      list.error instanceof ApiError && list.error.status === 502 ? (
        <Alert tone="info" title="cert-manager does not answer">The cluster cannot list cert-manager&apos;s Certificates: is cert-manager installed?</Alert>
      ) : (
        <Alert tone="error" title="Could not load the certificates">{errorMessage(list.error)}</Alert>
      );
  } else if (list.data.length === 0) body = <p className="text-sm text-muted">Every certificate is valid for more than 14 days, and none is failing.</p>;
  else {
    body = (
      <ul aria-label="Certificates needing attention" className="divide-y divide-line rounded-md border border-line">
        {list.data.map((entry) => (
          <Entry key={`${entry.namespace}/${entry.name}`} entry={entry} />
        ))}
      </ul>
    );
  }
  return (
    <Section id="certificates" title="Certificates" description="Those failing, or expiring within 14 days. cert-manager renews the others by itself.">
      {body}
    </Section>
  );
}
