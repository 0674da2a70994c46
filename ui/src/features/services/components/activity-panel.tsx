import type { ServiceActivityDto } from '@dangus/common';
import type { ReactNode } from 'react';
import { LoadingBlock, Section } from '../../../components/ui';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import { useServiceActivity } from '../api/env-vars';
import { PanelError } from './unavailable';

/** What happened, after the actor's name. */
const SENTENCES: Record<ServiceActivityDto['action'], (subject: string) => ReactNode> = {
  'env.reveal': (subject) => (
    <>
      revealed the value of <code className="font-mono">{subject}</code>
    </>
  ),
  // A certificate that was valid fails to renew (issue 34): cert-manager's reason, in words.
  'certificate.failed': (subject) => <>reports a certificate that fails to renew: {subject}</>,
  // The repository binding's proof is asked again (docs/architecture.md#github-app).
  'repository.unbound': (subject) => <>unbound the repository: {subject}</>,
  'repository.reproven': (subject) => <>proved the repository binding again: {subject}</>,
};

/** What was done to the service outside its infrastructure history: who saw which value, and when. */
export function ActivityPanel({ serviceId }: { serviceId: string }) {
  const activity = useServiceActivity(serviceId);
  return (
    <Section
      id="activity"
      title="Activity"
      description="Who revealed an environment variable's value, certificates that fail to renew, and repository access checked again, with when. Changes of the service are in the infrastructure history above."
    >
      {activity.isPending ? <LoadingBlock label="Loading activity…" /> : null}
      {activity.error ? <PanelError error={activity.error} what="Activity" /> : null}
      {activity.data && activity.data.length === 0 ? <p className="text-sm text-muted">Nothing yet.</p> : null}
      {activity.data && activity.data.length > 0 ? (
        <ul aria-label="Activity" className="divide-y divide-line rounded-md border border-line">
          {activity.data.map((entry) => (
            <li key={entry.id} className="flex flex-wrap items-baseline gap-x-2 bg-bg px-4 py-2 text-sm">
              <span className="font-medium text-fg">{entry.actor}</span>
              <span className="text-muted">{SENTENCES[entry.action](entry.subject)}</span>
              <time className="ml-auto text-xs text-muted" dateTime={entry.createdAt} title={formatAbsolute(entry.createdAt)}>
                {formatRelative(entry.createdAt)}
              </time>
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}
