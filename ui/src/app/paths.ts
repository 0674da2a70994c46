/** Every in-app URL, built in one place. */
export const paths = {
  home: '/',
  signIn: '/sign-in',
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  newService: (projectId: string) => `/projects/${encodeURIComponent(projectId)}/services/new`,
  service: (id: string) => `/services/${encodeURIComponent(id)}`,
  deployment: (serviceId: string, id: string) =>
    `/services/${encodeURIComponent(serviceId)}/deployments/${encodeURIComponent(id)}`,
  system: '/system',
  users: '/users',
  apiDocs: '/docs/api',
};
