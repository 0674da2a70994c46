import { TEAM_ROLES, type TeamRole } from '@dangus/common';
import type { SelectHTMLAttributes } from 'react';
import { inputClass } from '../../../components/ui';
import { cn } from '../../../lib/cn';

/** A role of a team or project (viewer, developer, owner): a select of the roles, in their order. */
export function RoleSelect({ value, onRole, className, ...rest }: Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'> & { value: TeamRole; onRole: (role: TeamRole) => void }) {
  return (
    <select {...rest} className={cn(inputClass, className)} value={value} onChange={(event) => onRole(event.target.value as TeamRole)}>
      {TEAM_ROLES.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
}
