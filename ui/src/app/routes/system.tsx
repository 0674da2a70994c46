import { Alert, PageHeader } from '../../components/ui';
import { useUser } from '../../features/auth/api/auth';
import { SystemPanels } from '../../features/system/components/system-panels';

export function SystemRoute() {
  const user = useUser();
  return (
    <>
      <PageHeader title="System" subtitle="Where the platform’s own state stands." />
      {user.role === 'admin' ? (
        <SystemPanels />
      ) : (
        <Alert tone="info" title="For the platform's admins">
          This page shows every tenant of the platform: ask an admin if you need something from it.
        </Alert>
      )}
    </>
  );
}
