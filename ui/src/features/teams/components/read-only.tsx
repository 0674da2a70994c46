import type { ActionAbilityDto } from '@dangus/common';
import { useId, type ReactNode } from 'react';
import { Alert } from '../../../components/ui';

/**
 * What a role may not change, shown but off: every control inside is disabled (a disabled
 * fieldset) and the reason, which names the role, is said above and read with them.
 */
export function ReadOnly({ ability, children }: { ability: ActionAbilityDto | undefined; children: ReactNode }) {
  const id = useId();
  if (!ability || ability.ok) return children;
  return (
    <div className="space-y-3">
      <div id={id}>
        <Alert tone="info" title="Read only">
          {ability.reason}
        </Alert>
      </div>
      <fieldset disabled aria-describedby={id} className="min-w-0">
        {children}
      </fieldset>
    </div>
  );
}

/** Whether an ability is refused for the role (not for want of a cluster): its reason names the role. */
export function refusedForRole(ability: ActionAbilityDto | undefined): boolean {
  return ability !== undefined && !ability.ok && (ability.reason ?? '').startsWith('Your role');
}
