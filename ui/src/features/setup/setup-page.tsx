import type { DnsStatusDto, SetupStateDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { Alert, Button, Spinner, buttonClass } from '../../components/ui';
import { Logo } from '../../components/ui/logo';
import { api } from '../../lib/api-client';
import { errorMessage } from '../../lib/api-error';
import { queryKeys } from '../../lib/query-keys';
import { useMe } from '../auth/api/auth';

/**
 * `/setup?token=…`, the link the installer prints: (1) become the admin, (2) connect
 * GitHub, (3) create the DNS records, checked here. A used, expired or foreign link says
 * so once and changes nothing.
 */
export function SetupPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const me = useMe();
  const client = useQueryClient();
  const link = useQuery({
    queryKey: ['setup', token],
    queryFn: () => api.get<SetupStateDto>(`/auth/setup?token=${encodeURIComponent(token)}`),
    retry: false,
  });
  const claim = useMutation({
    mutationFn: () => api.post<undefined>('/auth/setup', { token }),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.me }),
  });
  const admin = me.data?.role === 'admin';

  return (
    <main className="flex min-h-dvh items-start justify-center px-4 py-12">
      <div className="w-full max-w-2xl space-y-6">
        <div className="flex items-center gap-3">
          <Logo className="size-10" />
          <div>
            <h1 className="text-2xl font-semibold">Set up Dangus Cloud</h1>
            <p className="text-sm text-muted">Three steps: become the admin, connect GitHub, point DNS here.</p>
          </div>
        </div>
        {me.isPending || link.isPending ? <Spinner label="Reading the setup link" /> : null}
        {!admin && link.data && link.data.state !== 'ready' ? (
          <Alert tone="error" title="This setup link cannot be used">
            <p>{link.data.message}</p>
            <Link to="/sign-in" className={buttonClass('secondary', 'sm', 'mt-3')}>
              Go to sign-in
            </Link>
          </Alert>
        ) : null}
        {!admin && link.data?.state === 'ready' ? (
          <section aria-labelledby="step-admin" className="space-y-3 rounded-lg border border-line bg-surface p-6">
            <h2 id="step-admin" className="font-semibold">
              1. Become the admin
            </h2>
            <p className="text-sm text-muted">This link works once. Until it is used, nobody can sign in to this platform.</p>
            {claim.isError ? <Alert tone="error">{errorMessage(claim.error)}</Alert> : null}
            <Button variant="primary" onClick={() => claim.mutate()} disabled={claim.isPending}>
              {claim.isPending ? 'Setting up…' : 'Become the admin'}
            </Button>
          </section>
        ) : null}
        {admin ? <AdminSteps /> : null}
      </div>
    </main>
  );
}

function AdminSteps() {
  const dns = useQuery({ queryKey: ['system', 'dns'], queryFn: () => api.get<DnsStatusDto>('/api/system/dns') });
  return (
    <>
      <Alert tone="info" title="You are the admin">
        The setup link is now dead. Next, connect GitHub, then sign in with it: this admin account becomes your GitHub account.
      </Alert>
      <section aria-labelledby="step-github" className="space-y-3 rounded-lg border border-line bg-surface p-6">
        <h2 id="step-github" className="font-semibold">
          2. Connect GitHub
        </h2>
        <p className="text-sm text-muted">Creates a private GitHub App for this platform (GitHub's App manifest flow): no secret to copy.</p>
        <Link to="/system" className={buttonClass('primary', 'md')}>
          Connect GitHub
        </Link>
      </section>
      <section aria-labelledby="step-dns" className="space-y-3 rounded-lg border border-line bg-surface p-6">
        <h2 id="step-dns" className="font-semibold">
          3. Create these DNS records
        </h2>
        {dns.isError ? <Alert tone="error">{errorMessage(dns.error)}</Alert> : null}
        {dns.data ? (
          <table className="w-full text-left text-sm">
            <thead className="text-muted">
              <tr>
                <th className="py-1 pr-3 font-medium">Type</th>
                <th className="py-1 pr-3 font-medium">Name</th>
                <th className="py-1 pr-3 font-medium">Value</th>
                <th className="py-1 font-medium">Now</th>
              </tr>
            </thead>
            <tbody>
              {dns.data.records.map((record) => (
                <tr key={record.name} className="border-t border-line">
                  <td className="py-2 pr-3 font-mono">{record.type}</td>
                  <td className="py-2 pr-3 font-mono">{record.name}</td>
                  <td className="py-2 pr-3 font-mono">{record.value ?? "your ingress's public address"}</td>
                  <td className="py-2">{record.ok ? 'resolves here' : record.resolved.length > 0 ? `points to ${record.resolved.join(', ')}` : 'not found yet'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <Button onClick={() => void dns.refetch()} disabled={dns.isFetching}>
          {dns.isFetching ? 'Checking…' : 'Check again'}
        </Button>
      </section>
    </>
  );
}
