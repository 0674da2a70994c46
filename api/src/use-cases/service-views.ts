import { isNotInstalledReason, isUnboundReason } from '../github/repository-access.js';
import {
  SERVICE_CONFIG_FIELDS,
  internalAddressFor,
  pickFields,
  type DeploymentStatus,
  type ServiceAbilitiesDto,
  type ServiceDto,
  type ServiceSummaryDto,
  type TenantFailureDto,
} from '@dangus/common';
import type { Service } from '../db/entities/index.js';
import type { ServiceSummaryRow } from '../db/services-repo.js';
import type { CurrentUser, UseCaseContext } from './context.js';

/** The public URL of a service, from its stored host label (the one source of its address). */
export function publicUrlFor(ctx: UseCaseContext, host: string): string {
  return `${ctx.settings.publicScheme}://${host}.${ctx.settings.baseDomain}`;
}

export function toServiceSummary(ctx: UseCaseContext, user: CurrentUser, row: ServiceSummaryRow): ServiceSummaryDto {
  return {
    id: row.id,
    name: row.name,
    port: row.port,
    status: row.service_status,
    internalAddress: internalAddressFor(row.name, row.port),
    publicUrl: publicUrlFor(ctx, row.host),
    lastDeployment:
      row.deployment_id && row.commit_sha && row.status && row.deployment_created_at
        ? {
            id: row.deployment_id,
            commitSha: row.commit_sha,
            status: row.status,
            createdAt: row.deployment_created_at.toISOString(),
          }
        : null,
  };
}

export function toServiceDto(
  ctx: UseCaseContext,
  user: CurrentUser,
  service: Service,
  status: DeploymentStatus | null,
  can: ServiceAbilitiesDto,
  syncError: TenantFailureDto | null = null,
  missingSeedKeys: string[] = [],
): ServiceDto {
  return {
    id: service.id,
    projectId: service.projectId,
    ...pickFields(service, SERVICE_CONFIG_FIELDS),
    subdomain: service.host,
    publicUrl: publicUrlFor(ctx, service.host),
    internalAddress: internalAddressFor(service.name, service.port),
    webhookUrl: `${ctx.settings.webhookBaseUrl}/${service.id}`,
    webhookSecret: ctx.encryptor.decrypt(service.webhookSecret),
    // Its repository id is known only through the App (an installation, or the App's push); a refusal says it left it.
    // A binding shown only by publicness ends when the repository goes private (the reason says it is unbound now).
    pushesViaApp: service.githubRepositoryId !== null && !isNotInstalledReason(can.deploy.reason) && !isUnboundReason(can.deploy.reason),
    status,
    syncError,
    can,
    previews: { enabled: service.previewsEnabled, max: service.previewsMax, ttlDays: service.previewsTtlDays, seedKeys: service.previewsSeedKeys, missingSeedKeys },
    createdAt: service.createdAt.toISOString(),
  };
}
