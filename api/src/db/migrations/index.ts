import { InitialSchema1764201600000 } from './1764201600000-initial-schema.js';
import { ProjectListVersion1764288000000 } from './1764288000000-project-list-version.js';
import { Pipeline1764374400000 } from './1764374400000-pipeline.js';
import { PushOrder1764460800000 } from './1764460800000-push-order.js';
import { ImageDigest1764547200000 } from './1764547200000-image-digest.js';
import { TenantRegistries1764633600000 } from './1764633600000-tenant-registries.js';
import { Access1764720000000 } from './1764720000000-access.js';
import { Releases1764806400000 } from './1764806400000-releases.js';
import { ServiceRuntime1764892800000 } from './1764892800000-service-runtime.js';
import { Replicas1764979200000 } from './1764979200000-replicas.js';
import { TenantFailures1765065600000 } from './1765065600000-tenant-failures.js';
import { StreamLeases1765152000000 } from './1765152000000-stream-leases.js';
import { LoginPins1765238400000 } from './1765238400000-login-pins.js';
import { BuildJobCommitted1765310000000 } from './1765310000000-build-job-committed.js';
import { ServiceActivity1765320000000 } from './1765320000000-service-activity.js';
import { ServiceHosts1765330000000 } from './1765330000000-service-hosts.js';
import { GitHubApp1765340000000 } from './1765340000000-github-app.js';
import { Monorepos1765360000000 } from './1765360000000-monorepos.js';
import { GitHubAppBuilds1765370000000 } from './1765370000000-github-app-builds.js';
import { Previews1765400000000 } from './1765400000000-previews.js';
import { Teams1765410000000 } from './1765410000000-teams.js';
import { CustomDomains1765420000000 } from './1765420000000-custom-domains.js';
import { ServiceBuckets1765430000000 } from './1765430000000-service-buckets.js';
import { RegistryEvents1765440000000 } from './1765440000000-registry-events.js';
import { BundledRegistry1765450000000 } from './1765450000000-bundled-registry.js';
import { FirstRunSetup1765451000000 } from './1765451000000-first-run-setup.js';

/** Every migration, in order. Listed explicitly: no file globbing at run time. */
export const migrations = [InitialSchema1764201600000, ProjectListVersion1764288000000, Pipeline1764374400000, PushOrder1764460800000, ImageDigest1764547200000, TenantRegistries1764633600000, Access1764720000000, Releases1764806400000, ServiceRuntime1764892800000, Replicas1764979200000, TenantFailures1765065600000, StreamLeases1765152000000, LoginPins1765238400000, BuildJobCommitted1765310000000, ServiceActivity1765320000000, ServiceHosts1765330000000, GitHubApp1765340000000, Monorepos1765360000000, GitHubAppBuilds1765370000000, Previews1765400000000, Teams1765410000000, CustomDomains1765420000000, ServiceBuckets1765430000000, RegistryEvents1765440000000, BundledRegistry1765450000000, FirstRunSetup1765451000000];
