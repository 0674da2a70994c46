/**
 * Every query key of the app in one place, so that a live event handled in
 * one feature can invalidate another feature's data without importing it.
 */
export const queryKeys = {
  me: ['auth', 'me'] as const,
  authConfig: ['auth', 'config'] as const,
  projects: ['projects'] as const,
  projectList: () => ['projects', 'list'] as const,
  project: (id: string) => ['projects', 'detail', id] as const,
  services: ['services'] as const,
  service: (id: string) => ['services', id] as const,
  envVars: (serviceId: string) => ['services', serviceId, 'env'] as const,
  activity: (serviceId: string) => ['services', serviceId, 'activity'] as const,
  webhookDeliveries: (serviceId: string) => ['services', serviceId, 'webhook-deliveries'] as const,
  serviceHistory: (serviceId: string) => ['services', serviceId, 'history'] as const,
  deployments: (serviceId: string) => ['services', serviceId, 'deployments'] as const,
  deployment: (id: string) => ['deployments', id] as const,
  system: ['system'] as const,
  stateRepo: () => ['system', 'state-repo'] as const,
  applier: () => ['system', 'applier'] as const,
  registry: () => ['system', 'registry'] as const,
  tenantFailures: () => ['system', 'tenant-failures'] as const,
  users: () => ['admin', 'users'] as const,
  accessRequests: () => ['admin', 'access-requests'] as const,
  limits: () => ['admin', 'limits'] as const,
  teamsAll: ['teams'] as const,
  teams: () => ['teams', 'list'] as const,
  team: (id: string) => ['teams', 'detail', id] as const,
  teamMembers: (id: string) => ['teams', 'detail', id, 'members'] as const,
  teamActivity: (id: string) => ['teams', 'detail', id, 'activity'] as const,
};
