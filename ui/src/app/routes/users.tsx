import { PageHeader } from '../../components/ui';
import { AdminOnly } from './admin-only';
import { UsersPanels } from '../../features/users/components/users-panels';

export function UsersRoute() {
  return (
    <>
      <PageHeader title="Users" subtitle="Who may use this platform." />
      <AdminOnly>
        <UsersPanels />
      </AdminOnly>
    </>
  );
}
