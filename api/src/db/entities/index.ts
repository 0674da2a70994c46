import { EntitySchema } from 'typeorm';
import type { DeploymentStatus } from '@dangus/common';

/*
 * Entities are declared as EntitySchema (plain data, no decorators): no
 * reflect-metadata, and no import cycles between entity files under ESM.
 * Columns mirror the migrations in ../migrations, which own the schema
 * (`synchronize` is never used).
 */

const timestamps = {
  createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
} as const;

export interface User {
  id: string;
  githubId: string;
  githubUsername: string;
  /** Encrypted (crypto/encryption.ts). */
  githubAccessToken: string;
  hash: string;
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    githubId: { name: 'github_id', type: 'bigint', unique: true },
    githubUsername: { name: 'github_username', type: 'varchar', length: 255 },
    githubAccessToken: { name: 'github_access_token', type: 'text' },
    hash: { type: 'varchar', length: 6, unique: true },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface Session {
  id: string;
  userId: string;
  /** HMAC of the cookie's token: a leaked table does not give usable cookies. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

export const SessionEntity = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    tokenHash: { name: 'token_hash', type: 'char', length: 64, unique: true },
    ...timestamps,
    expiresAt: { name: 'expires_at', type: 'timestamptz' },
  },
});

export interface Project {
  id: string;
  userId: string;
  name: string;
  createdAt: Date;
}

export const ProjectEntity = new EntitySchema<Project>({
  name: 'Project',
  tableName: 'projects',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    name: { type: 'varchar', length: 63 },
    ...timestamps,
  },
});

export interface Service {
  id: string;
  projectId: string;
  /** The owner, denormalised so that `UNIQUE (user_id, name)` keeps subdomains unique. */
  userId: string;
  name: string;
  repoUrl: string;
  branch: string;
  dockerfilePath: string;
  port: number;
  storageGb: number | null;
  healthCheckPath: string | null;
  /** Encrypted (crypto/encryption.ts). */
  webhookSecret: string;
  createdAt: Date;
  updatedAt: Date;
}

export const ServiceEntity = new EntitySchema<Service>({
  name: 'Service',
  tableName: 'services',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    projectId: { name: 'project_id', type: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    name: { type: 'varchar', length: 63 },
    repoUrl: { name: 'repo_url', type: 'text' },
    branch: { type: 'varchar', length: 255 },
    dockerfilePath: { name: 'dockerfile_path', type: 'varchar', length: 255 },
    port: { type: 'integer' },
    storageGb: { name: 'storage_gb', type: 'integer', nullable: true },
    healthCheckPath: { name: 'health_check_path', type: 'varchar', length: 255, nullable: true },
    webhookSecret: { name: 'webhook_secret', type: 'text' },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface EnvVar {
  id: string;
  serviceId: string;
  key: string;
  /** Encrypted (crypto/encryption.ts). */
  value: string;
  createdAt: Date;
  updatedAt: Date;
}

export const EnvVarEntity = new EntitySchema<EnvVar>({
  name: 'EnvVar',
  tableName: 'env_vars',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    serviceId: { name: 'service_id', type: 'uuid' },
    key: { type: 'varchar', length: 255 },
    value: { type: 'text' },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface Deployment {
  id: string;
  serviceId: string;
  commitSha: string;
  commitMessage: string | null;
  status: DeploymentStatus;
  reason: string | null;
  imageTag: string | null;
  buildLogs: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export const DeploymentEntity = new EntitySchema<Deployment>({
  name: 'Deployment',
  tableName: 'deployments',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    serviceId: { name: 'service_id', type: 'uuid' },
    commitSha: { name: 'commit_sha', type: 'varchar', length: 40 },
    commitMessage: { name: 'commit_message', type: 'text', nullable: true },
    status: { type: 'varchar', length: 20 },
    reason: { type: 'text', nullable: true },
    imageTag: { name: 'image_tag', type: 'text', nullable: true },
    buildLogs: { name: 'build_logs', type: 'text', nullable: true },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
    finishedAt: { name: 'finished_at', type: 'timestamptz', nullable: true },
  },
});

export const entities = [UserEntity, SessionEntity, ProjectEntity, ServiceEntity, EnvVarEntity, DeploymentEntity];
