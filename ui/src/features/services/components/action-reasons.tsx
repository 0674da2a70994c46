import type { ServiceDto } from '@dangus/common';

const LABELS = { deploy: 'Deploy now', restart: 'Restart' } as const;
type Action = keyof typeof LABELS;

/** The id of the line that says why `action` is off (a button's `aria-describedby`); one line per reason. */
export function reasonId(service: ServiceDto, action: Action): string {
  const first = (Object.keys(LABELS) as Action[]).find((a) => !service.can[a].ok && service.can[a].reason === service.can[action].reason);
  return `reason-${first ?? action}`;
}

/**
 * Why the page's actions that the api would refuse are off, in the api's own words
 * (`ServiceDto.can`): one line per reason, naming the actions it holds back.
 */
export function ActionReasons({ service }: { service: ServiceDto }) {
  const off = (Object.keys(LABELS) as Action[]).filter((a) => !service.can[a].ok);
  if (off.length === 0) return null;
  const reasons = [...new Set(off.map((a) => service.can[a].reason ?? ''))];
  return (
    <ul aria-label="Unavailable actions" className="space-y-1 text-sm">
      {reasons.map((reason) => {
        const actions = off.filter((a) => (service.can[a].reason ?? '') === reason);
        return (
          <li key={reason} id={reasonId(service, actions[0] ?? 'deploy')} className="text-muted">
            <span className="font-medium text-fg">{actions.map((a) => LABELS[a]).join(' and ')} {actions.length > 1 ? 'are' : 'is'} off:</span>{' '}
            {reason}
          </li>
        );
      })}
    </ul>
  );
}
