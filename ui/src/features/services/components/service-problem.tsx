import { Alert } from '../../../components/ui';
import { formatRelative } from '../../../lib/format';
import { useServiceEvents } from '../api/services';

/** How recent a warning must be to be shown as what is wrong now. */
const RECENT_MS = 5 * 60_000;

/**
 * What is wrong with the running service, in plain words, when the cluster says so: the
 * newest warning event the platform can explain, from the last few minutes.
 */
export function ServiceProblem({ serviceId, running }: { serviceId: string; running: boolean }) {
  const events = useServiceEvents(serviceId, running);
  const now = Date.now();
  const problem = events.data?.find(
    (e) => e.type === 'Warning' && e.summary !== null && e.lastSeen !== null && now - Date.parse(e.lastSeen) < RECENT_MS,
  );
  if (!problem?.summary) return null;
  return (
    <Alert tone="warning" title={problem.summary}>
      {problem.object} · {problem.reason}
      {problem.count > 1 ? ` ×${String(problem.count)}` : ''}
      {problem.lastSeen ? ` · ${formatRelative(problem.lastSeen)}` : ''}
    </Alert>
  );
}
