import { Alert, PageHeader } from '../../components/ui';
import { useUser } from '../../features/auth/api/auth';
import { UsersPanels } from '../../features/users/components/users-panels';

export function UsersRoute() {
  const user = useUser();
  return (
    <>
      <PageHeader title="Users" subtitle="Who may use this platform." />
      {user.role === 'admin' ? (
        <UsersPanels />
      ) : (
        <Alert tone="info" title="For the platform's admins">
          This page shows every tenant of the platform: ask an admin if you need something from it.
        </Alert>
      )}
    </>
  );
}
