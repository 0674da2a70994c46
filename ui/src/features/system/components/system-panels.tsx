import type { ReactNode } from 'react';
import { Alert, Badge, CopyField, LoadingBlock, Section } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { formatAbsolute, formatRelative, shortSha } from '../../../lib/format';
import { CertificatesPanel } from './certificates-panel';
import { GitHubAppPanel } from './github-app-panel';
import { useApplier, useRegistry, useStateRepo, useTenantFailures, type ApplierView, type StateRepoView } from '../api/system';
import { useCluster } from '../../cluster/use-cluster';

function NotYet({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.isNotFound) {
    return (
      <Alert tone="info" title={`${what} is not reported yet`}>
        This server has no endpoint for it yet; it will show here once it does.
      </Alert>
    );
  }
  return <Alert tone="error" title={`Could not load ${what.toLowerCase()}`}>{errorMessage(error)}</Alert>;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-1 gap-1 py-2 sm:grid-cols-[12rem_minmax(0,1fr)] sm:gap-4">
      <dt className="text-sm text-muted">{label}</dt>
      <dd className="min-w-0 text-sm break-words text-fg">{children}</dd>
    </div>
  );
}

function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <>—</>;
  return (
    <time dateTime={iso} title={formatAbsolute(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

function StateRepo({ repo }: { repo: StateRepoView }) {
  const head = typeof repo.head === 'string' ? { sha: repo.head } : (repo.head ?? null);
  return (
    <dl className="divide-y divide-line">
      <Row label="Head">
        {head?.sha ? (
          <span className="flex flex-wrap gap-x-2">
            <code className="font-mono">{shortSha(head.sha)}</code>
            <span>{head.subject ?? head.message?.split('\n')[0] ?? ''}</span>
          </span>
        ) : (
          'No commit yet'
        )}
      </Row>
      {head?.date ? (
        <Row label="Committed">
          <When iso={head.date} />
        </Row>
      ) : null}
      {repo.branch ? <Row label="Branch">{repo.branch}</Row> : null}
      {repo.cloneUrl ? (
        <Row label="Clone URL">
          <CopyField value={repo.cloneUrl} label="state repo clone URL" />
        </Row>
      ) : null}
      {repo.remote ? <Row label="Pushed to">{repo.remote}</Row> : null}
      {repo.lastPush ? (
        <Row label="Last push">
          <span className="flex flex-wrap items-center gap-2">
            <Badge tone={repo.lastPush.ok === false ? 'bad' : 'ok'}>{repo.lastPush.ok === false ? 'Failed' : 'OK'}</Badge>
            <When iso={repo.lastPush.at} />
            {repo.lastPush.error ? <span className="text-bad">{repo.lastPush.error}</span> : null}
          </span>
        </Row>
      ) : null}
    </dl>
  );
}

function Applier({ applier, head }: { applier: ApplierView; head: string | undefined }) {
  const errors = [
    ...(applier.lastError ? [applier.lastError] : []),
    ...(applier.errors ?? []).map((e) => (typeof e === 'string' ? e : [e.object, e.message].filter(Boolean).join(': '))),
  ];
  const inSync = head !== undefined && applier.lastAppliedCommit != null && applier.lastAppliedCommit === head;
  return (
    <div className="space-y-4">
      <dl className="divide-y divide-line">
        <Row label="State">
          {errors.length > 0 ? (
            <Badge tone="bad">Errors</Badge>
          ) : inSync ? (
            <Badge tone="ok">In sync</Badge>
          ) : head !== undefined && applier.lastAppliedCommit ? (
            <Badge tone="warn">Behind head</Badge>
          ) : (
            <Badge tone="idle">Unknown</Badge>
          )}
        </Row>
        {applier.mode ? <Row label="Mode">{applier.mode}</Row> : null}
        <Row label="Last applied commit">
          {applier.lastAppliedCommit ? <code className="font-mono">{shortSha(applier.lastAppliedCommit)}</code> : 'None yet'}
        </Row>
        <Row label="Applied">
          <When iso={applier.lastAppliedAt} />
        </Row>
        {applier.lastSyncAt ? (
          <Row label="Last sync">
            <When iso={applier.lastSyncAt} />
          </Row>
        ) : null}
      </dl>
      {errors.length > 0 ? (
        <Alert tone="error" title="Apply errors">
          <ul className="space-y-1 font-mono text-xs">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
    </div>
  );
}

/** The state repo's head and the applier's progress towards it. */
export function SystemPanels() {
  const repo = useStateRepo();
  const cluster = useCluster();
  const applier = useApplier(cluster.connected);
  const registry = useRegistry();
  const stuck = useTenantFailures();
  const head =
    typeof repo.data?.head === 'string' ? repo.data.head : (repo.data?.head?.sha ?? undefined);
  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
      {registry.data?.warning ? (
        <div className="lg:col-span-2">
          <Alert tone="error" title="Registry: tenants are not isolated">
            The platform runs without Harbor&apos;s admin settings, so {registry.data.warning}. Set HARBOR_ADMIN_USERNAME and
            HARBOR_ADMIN_PASSWORD to give every tenant a Harbor project and robot account of its own.
          </Alert>
        </div>
      ) : null}
      {stuck.data && stuck.data.length > 0 ? (
        <div className="lg:col-span-2">
          <Alert tone="error" title={`${String(stuck.data.length)} project${stuck.data.length === 1 ? '' : 's'} cannot be committed`}>
            Their changes wait and are retried; every other project goes on. Each clears by itself once its data is fixed.
            <ul className="mt-2 space-y-1 text-xs" aria-label="Projects that cannot be committed">
              {stuck.data.map((f) => (
                <li key={f.projectId}>
                  <span className="font-mono">{f.namespace}</span> · since <When iso={f.since} /> · {String(f.attempts)} attempt
                  {f.attempts === 1 ? '' : 's'}: {f.message}
                </li>
              ))}
            </ul>
          </Alert>
        </div>
      ) : null}
      <div className="lg:col-span-2">
        <GitHubAppPanel />
      </div>
      <div className="lg:col-span-2">
        <CertificatesPanel connected={cluster.connected} />
      </div>
      <Section id="state-repo" title="State repo" description="Every infrastructure change is a commit here.">
        {repo.isPending ? <LoadingBlock /> : repo.error ? <NotYet error={repo.error} what="The state repo" /> : <StateRepo repo={repo.data} />}
      </Section>
      <Section id="applier" title="Applier" description="Syncs the state repo into the cluster.">
        {!cluster.connected ? (
          <Alert tone="info" title="No cluster">
            {cluster.reason} The state repo above is kept all the same: it is what will be applied.
          </Alert>
        ) : applier.isPending ? (
          <LoadingBlock />
        ) : applier.error ? (
          <NotYet error={applier.error} what="The applier" />
        ) : (
          <Applier applier={applier.data} head={head} />
        )}
      </Section>
    </div>
  );
}
