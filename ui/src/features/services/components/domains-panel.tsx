import { DOMAIN_EXPIRED_MESSAGE, MAX_DOMAINS_PER_SERVICE, type CustomDomainDto } from '@dangus/common';
import { useState, type SyntheticEvent } from 'react';
import { Alert, Badge, Button, CopyButton, Field, Input, LoadingBlock, Section } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { formatRelative } from '../../../lib/format';
import type { StatusTone } from '../../../lib/status';
import { useAddDomain, useDomains, useRemoveDomain, useVerifyDomain } from '../api/domains';

/** A domain's state as colour and word: pending, verified, then its certificate's. */
function stateOf(domain: CustomDomainDto): { tone: StatusTone; word: string } {
  if (domain.status === 'pending') return { tone: 'warn', word: 'Pending verification' };
  if (domain.status === 'expired') return { tone: 'bad', word: 'Expired: released' };
  if (!domain.routing?.ok) return { tone: 'warn', word: 'Verified: point it here' };
  switch (domain.certificate.state) {
    case 'ready':
      return { tone: 'ok', word: 'HTTPS ready' };
    case 'failed':
      return { tone: 'bad', word: 'Certificate failed' };
    case 'issuing':
    case 'waiting':
      return { tone: 'warn', word: 'Issuing certificate' };
    default:
      return { tone: 'idle', word: 'Served over HTTP' };
  }
}

function DomainRow({ serviceId, domain }: { serviceId: string; domain: CustomDomainDto }) {
  const verify = useVerifyDomain(serviceId);
  const remove = useRemoveDomain(serviceId);
  const state = stateOf(domain);
  return (
    <li className="space-y-2 bg-bg px-4 py-3 text-sm" aria-label={domain.domain}>
      <div className="flex flex-wrap items-center gap-2">
        <code className="font-mono font-medium">{domain.domain}</code>
        <Badge tone={state.tone}>{state.word}</Badge>
        <span className="ml-auto flex gap-2">
          {domain.status === 'expired' ? null : (
            <Button size="sm" onClick={() => verify.mutate(domain.id)} disabled={verify.isPending}>
              {verify.isPending ? 'Checking…' : 'Verify now'}
            </Button>
          )}
          <Button size="sm" variant="danger" onClick={() => remove.mutate(domain.id)} disabled={remove.isPending}>
            Remove
          </Button>
        </span>
      </div>
      {domain.status === 'pending' ? (
        <div className="space-y-1">
          <p className="text-muted">Create this TXT record at your DNS provider to prove the domain is yours:</p>
          <dl className="grid grid-cols-[auto_minmax(0,1fr)_auto] items-center gap-x-3 gap-y-1">
            <dt className="text-muted">Name</dt>
            <dd className="min-w-0 break-all font-mono">{domain.txtRecord.name}</dd>
            <CopyButton value={domain.txtRecord.name} label="TXT record name" />
            <dt className="text-muted">Value</dt>
            <dd className="min-w-0 break-all font-mono">{domain.txtRecord.value}</dd>
            <CopyButton value={domain.txtRecord.value} label="TXT record value" />
          </dl>
        </div>
      ) : null}
      {domain.lastCheck && domain.status === 'pending' ? (
        <p className="text-muted" aria-label="Last check">
          Last looked {formatRelative(domain.lastCheck.at)}: {domain.lastCheck.message}
          {domain.nextCheckAt ? ` Next look ${formatRelative(domain.nextCheckAt)}.` : ' The platform no longer looks by itself: press “Verify now”.'}
        </p>
      ) : null}
      {domain.status === 'expired' ? <p className="text-muted">{DOMAIN_EXPIRED_MESSAGE}</p> : null}
      {domain.status === 'verified' && domain.routing && !domain.routing.ok ? <p className="text-muted">{domain.routing.message}</p> : null}
      {domain.status === 'verified' && domain.routing?.ok ? <p className="text-muted" aria-label="Certificate">{domain.certificate.message}</p> : null}
      {verify.error ? <Alert tone="error">{errorMessage(verify.error)}</Alert> : null}
      {remove.error ? <Alert tone="error">{errorMessage(remove.error)}</Alert> : null}
    </li>
  );
}

/** The service's custom domains: add one, the TXT record to create, each one's state, verify, remove. */
export function DomainsPanel({ serviceId }: { serviceId: string }) {
  const domains = useDomains(serviceId);
  const add = useAddDomain(serviceId);
  const [domain, setDomain] = useState('');
  const fieldErrors = add.error instanceof ApiError ? (add.error.fields.domain ?? [add.error.message]) : [];
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    add.mutate(domain, { onSuccess: () => setDomain('') });
  };
  const full = (domains.data?.filter((d) => d.status !== 'expired').length ?? 0) >= MAX_DOMAINS_PER_SERVICE;
  return (
    <Section
      id="domains"
      title="Custom domains"
      description={`Up to ${String(MAX_DOMAINS_PER_SERVICE)} domains of yours. Each routes here once its TXT record proves it is yours, and gets HTTPS once it points at the platform.`}
    >
      <form onSubmit={submit} className="mb-4 flex flex-wrap items-end gap-2">
        <Field label="Domain" errors={fieldErrors} className="min-w-64 flex-1">
          {(props) => <Input {...props} value={domain} onChange={(e) => setDomain(e.target.value)} placeholder="blog.example.org" disabled={full} />}
        </Field>
        <Button type="submit" variant="primary" disabled={add.isPending || full || domain.trim() === ''}>
          {add.isPending ? 'Adding…' : 'Add domain'}
        </Button>
      </form>
      {domains.isPending ? <LoadingBlock label="Loading domains…" /> : null}
      {domains.error ? <Alert tone="error" title="Could not load domains">{errorMessage(domains.error)}</Alert> : null}
      {domains.data && domains.data.length === 0 ? <p className="text-sm text-muted">No custom domain yet: add one above.</p> : null}
      {domains.data && domains.data.length > 0 ? (
        <ul aria-label="Custom domains" className="divide-y divide-line rounded-md border border-line">
          {domains.data.map((d) => (
            <DomainRow key={d.id} serviceId={serviceId} domain={d} />
          ))}
        </ul>
      ) : null}
    </Section>
  );
}
