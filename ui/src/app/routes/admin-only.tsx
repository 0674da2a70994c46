import type { ReactNode } from 'react';
import { Alert } from '../../components/ui';
import { useUser } from '../../features/auth/api/auth';

/** A page for the platform's admins: a member who opens it by hand reads why it is empty. */
export function AdminOnly({ children }: { children: ReactNode }) {
  const user = useUser();
  if (user.role === 'admin') return <>{children}</>;
  return (
    <Alert tone="info" title="For the platform's admins">
      This page shows every tenant of the platform: ask an admin if you need something from it.
    </Alert>
  );
}
