import { PageHeader } from '../../components/ui';
import { AdminOnly } from './admin-only';
import { SystemPanels } from '../../features/system/components/system-panels';

export function SystemRoute() {
  return (
    <>
      <PageHeader title="System" subtitle="Where the platform’s own state stands." />
      <AdminOnly>
        <SystemPanels />
      </AdminOnly>
    </>
  );
}
