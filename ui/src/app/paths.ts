/** Every in-app URL, built in one place. */
export const paths = {
  home: '/',
  signIn: '/sign-in',
  project: (id: string) => `/projects/${encodeURIComponent(id)}`,
  newService: (projectId: string) => `/projects/${encodeURIComponent(projectId)}/services/new`,
  service: (id: string) => `/services/${encodeURIComponent(id)}`,
  /** A tab of the service page (`overview` is the page's own address). */
  serviceTab: (id: string, tab: string) =>
    tab === 'overview' ? `/services/${encodeURIComponent(id)}` : `/services/${encodeURIComponent(id)}/${encodeURIComponent(tab)}`,
  deployment: (serviceId: string, id: string) =>
    `/services/${encodeURIComponent(serviceId)}/deployments/${encodeURIComponent(id)}`,
  /** The page of a pull request's preview: its last build's log. */
  preview: (serviceId: string, number: number) => `/services/${encodeURIComponent(serviceId)}/previews/${String(number)}`,
  system: '/system',
  users: '/users',
  teams: '/teams',
  team: (id: string) => `/teams/${encodeURIComponent(id)}`,
  apiDocs: '/docs/api',
};
