/**
 * Authorization with Google's IAM vocabulary: permissions, roles that bundle them, and a
 * policy per project binding roles to members (`{bindings: [{role, members}], etag}`),
 * kept in the PolicyStore and changed only at the etag it was read at. The first admins
 * come from configuration: a policy every project inherits (GAFFER_ADMINS,
 * GAFFER_IAM_POLICY), as an organization's policy is inherited in Google Cloud; it is also
 * the only policy that grants anything on every project at once ("*": the sweeps).
 */
import {createHash} from 'crypto';
import {GafferError, invalidArgument} from './errors';
import type {Clock, PolicyStore, Versioned} from './ports';
import {retryOnConflict} from './retry';
import type {PolicyJson} from '../wire/iam';

export type {PolicyJson};

/** Google's permissions for the Genomics RPCs, and Gaffer's own in the same style. */
export const PERMISSIONS = [
  'genomics.operations.create',
  'genomics.operations.get',
  'genomics.operations.list',
  'genomics.operations.cancel',
  'gaffer.workers.get',
  'gaffer.workers.list',
  'gaffer.projects.getIamPolicy',
  'gaffer.projects.setIamPolicy',
  'gaffer.deadLetters.list',
  'gaffer.deadLetters.retry',
  'gaffer.leases.expire',
  'gaffer.outbox.dispatch',
  'gaffer.queueStats.record',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: readonly Permission[] = ['genomics.operations.get', 'genomics.operations.list', 'gaffer.workers.get', 'gaffer.workers.list'];
const RUNNER: readonly Permission[] = [...VIEWER, 'genomics.operations.create', 'genomics.operations.cancel'];
const ADMIN: readonly Permission[] = [
  ...RUNNER,
  'gaffer.projects.getIamPolicy',
  'gaffer.projects.setIamPolicy',
  'gaffer.deadLetters.list',
  'gaffer.deadLetters.retry',
];
const SWEEPER: readonly Permission[] = ['gaffer.leases.expire', 'gaffer.outbox.dispatch', 'gaffer.queueStats.record'];

/** Every role, by name: Google's where Google has one, Gaffer's own otherwise. */
export const ROLES: Readonly<Record<string, {title: string; permissions: readonly Permission[]}>> = {
  'roles/genomics.viewer': {title: 'Genomics Viewer: read operations and workers', permissions: VIEWER},
  'roles/genomics.pipelinesRunner': {title: 'Genomics Pipelines Runner: a viewer who also runs and cancels pipelines', permissions: RUNNER},
  'roles/genomics.editor': {title: 'Genomics Editor: as pipelinesRunner', permissions: RUNNER},
  'roles/genomics.admin': {
    title: 'Genomics Admin: everything on the project, its IAM policy and dead letters included',
    permissions: ADMIN,
  },
  'roles/gaffer.sweeper': {title: 'Gaffer sweeper: runs the lease and outbox sweeps and records queue statistics (granted on every project)', permissions: SWEEPER},
};

export const ADMIN_ROLE = 'roles/genomics.admin';

/** A member of a binding: Google's forms, minus allUsers (Gaffer has no anonymous callers). */
const MEMBER = /^(?:(?:user|serviceAccount|group):[^@\s:]+@[^@\s:]+\.[^@\s:]+|group:[^\s:@]+|domain:[a-z0-9.-]+\.[a-z]{2,}|allAuthenticatedUsers)$/i;
export const MEMBER_RULE =
  'user:EMAIL, serviceAccount:EMAIL, group:NAME, domain:DOMAIN or allAuthenticatedUsers';
const MAX_BINDINGS = 100;
const MAX_MEMBERS = 1500;

export interface IamBinding {
  role: string;
  members: string[];
}

/** A project's policy as stored: bindings, and a revision that grows with every change. */
export interface IamPolicyRecord {
  bindings: IamBinding[];
  revision: number;
}

/** Who is calling, as IAM sees it. */
export interface Principal {
  /** The member that acts and is recorded: user:ann@example.com. */
  member: string;
  /** Every member the caller is (itself, its domain, its groups). */
  members: readonly string[];
  /** Development mode: a loopback caller, no issuer configured; holds every permission. */
  development?: boolean;
}

export function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}

export function normalizeMember(member: string): string {
  const colon = member.indexOf(':');
  return colon === -1 ? member : `${member.slice(0, colon)}:${member.slice(colon + 1).toLowerCase()}`;
}

/** Checks and normalizes bindings: known roles, valid members; one binding per role, members sorted. */
export function normalizeBindings(bindings: ReadonlyArray<{role?: unknown; members?: unknown; condition?: unknown}>, field = 'policy.bindings'): IamBinding[] {
  if (bindings.length > MAX_BINDINGS) throw invalidArgument(field, `at most ${MAX_BINDINGS} bindings`, bindings.length);
  const byRole = new Map<string, Set<string>>();
  bindings.forEach((binding, i) => {
    const at = `${field}[${i}]`;
    if (binding.condition !== undefined) throw invalidArgument(`${at}.condition`, 'absent: Gaffer does not support IAM conditions');
    const role = binding.role;
    if (typeof role !== 'string' || !(role in ROLES)) {
      throw invalidArgument(`${at}.role`, `one of ${Object.keys(ROLES).join(', ')}`, role, 'UNKNOWN_ROLE');
    }
    if (!Array.isArray(binding.members)) throw invalidArgument(`${at}.members`, 'a list of members', binding.members);
    const members = byRole.get(role) ?? new Set<string>();
    (binding.members as unknown[]).forEach((member, j) => {
      if (typeof member !== 'string' || !MEMBER.test(member)) {
        throw invalidArgument(`${at}.members[${j}]`, MEMBER_RULE, member, 'INVALID_MEMBER');
      }
      members.add(member === 'allAuthenticatedUsers' ? member : normalizeMember(member));
    });
    byRole.set(role, members);
  });
  const normalized = [...byRole]
    .filter(([, members]) => members.size > 0)
    .map(([role, members]) => ({role, members: [...members].sort()}))
    .sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
  const total = normalized.reduce((sum, b) => sum + b.members.length, 0);
  if (total > MAX_MEMBERS) throw invalidArgument(field, `at most ${MAX_MEMBERS} members in all`, total);
  return normalized;
}

/** An opaque etag for a revision of a project's policy (base64, as Google's). */
export function etagOf(projectId: string, revision: number): string {
  return createHash('sha256').update(`${projectId}\u0000${revision}`).digest().subarray(0, 9).toString('base64');
}

export function policyToJson(projectId: string, record: IamPolicyRecord | undefined): PolicyJson {
  const bindings = record?.bindings ?? [];
  return {version: 1, ...(bindings.length > 0 ? {bindings} : {}), etag: etagOf(projectId, record?.revision ?? 0)};
}

/** Whether `bindings` grant `principal` the permission. */
function grants(bindings: readonly IamBinding[], principal: Principal, permission: Permission): boolean {
  const members = new Set(principal.members.map(normalizeMember));
  return bindings.some(
    b => ROLES[b.role]?.permissions.includes(permission) && b.members.some(m => m === 'allAuthenticatedUsers' || members.has(m)),
  );
}

export function permissionDenied(permission: string, projectId: string): GafferError {
  const resource = projectId === '*' ? 'every project' : `projects/${projectId}`;
  return new GafferError('PERMISSION_DENIED', `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`, {
    reason: 'IAM_PERMISSION_DENIED',
    metadata: {permission, resource},
  });
}

export interface IamDeps {
  policies: PolicyStore;
  clock: Clock;
  /** Bindings every project inherits (the first admins, the sweeper). */
  inherited: readonly IamBinding[];
  /** How long a project's policy read for a check is reused by this process. */
  cacheTtlMs: number;
}

/** Project policies: checks against them, and getIamPolicy / setIamPolicy / testIamPermissions. */
export class IamService {
  private readonly cache = new Map<string, {record: IamPolicyRecord | undefined; until: number}>();

  constructor(private readonly deps: IamDeps) {}

  /** Resolves when `principal` holds `permission` on the project ("*": every project); PERMISSION_DENIED otherwise. */
  async authorize(principal: Principal, permission: Permission, projectId: string): Promise<void> {
    if (!(await this.holds(principal, permission, projectId))) throw permissionDenied(permission, projectId);
  }

  async holds(principal: Principal, permission: Permission, projectId: string): Promise<boolean> {
    if (principal.development) return true;
    if (grants(this.deps.inherited, principal, permission)) return true;
    if (projectId === '*') return false;
    const record = await this.cached(projectId);
    return grants(record?.bindings ?? [], principal, permission);
  }

  /** testIamPermissions: the subset of `permissions` the caller holds on the project. */
  async test(principal: Principal, projectId: string, permissions: readonly string[]): Promise<{permissions?: string[]}> {
    permissions.forEach((p, i) => {
      if (/[*]/.test(p) || !/^[a-zA-Z]+\.[a-zA-Z]+\.[a-zA-Z]+$/.test(p)) {
        throw invalidArgument(`permissions[${i}]`, 'a permission name such as genomics.operations.get (no wildcards)', p, 'INVALID_PERMISSION');
      }
    });
    const held: string[] = [];
    for (const p of new Set(permissions)) if (isPermission(p) && (await this.holds(principal, p, projectId))) held.push(p);
    return held.length > 0 ? {permissions: held} : {};
  }

  async getPolicy(projectId: string): Promise<PolicyJson> {
    const {value} = await this.deps.policies.read(projectId);
    this.remember(projectId, value);
    return policyToJson(projectId, value);
  }

  /** setIamPolicy: replaces the project's bindings; a stale etag is ABORTED and changes nothing. */
  async setPolicy(projectId: string, policy: {bindings?: unknown[]; etag?: string; version?: number}): Promise<PolicyJson> {
    if (policy.version !== undefined && policy.version !== 0 && policy.version !== 1) {
      throw invalidArgument('policy.version', '1 (Gaffer has no conditional bindings)', policy.version);
    }
    const bindings = normalizeBindings((policy.bindings ?? []) as Array<{role?: unknown; members?: unknown; condition?: unknown}>);
    return retryOnConflict(
      this.deps.clock,
      async () => {
        const read: Versioned<IamPolicyRecord | undefined> = await this.deps.policies.read(projectId);
        const current = etagOf(projectId, read.value?.revision ?? 0);
        if (policy.etag !== undefined && policy.etag !== current) throw etagMismatch(projectId, policy.etag);
        const next: IamPolicyRecord = {bindings, revision: (read.value?.revision ?? 0) + 1};
        await this.deps.policies.write(projectId, next, read);
        this.remember(projectId, next);
        return policyToJson(projectId, next);
      },
      () => {
        throw etagMismatch(projectId, policy.etag ?? '');
      },
    );
  }

  private async cached(projectId: string): Promise<IamPolicyRecord | undefined> {
    const hit = this.cache.get(projectId);
    const now = this.deps.clock.now().getTime();
    if (hit && hit.until > now) return hit.record;
    const {value} = await this.deps.policies.read(projectId);
    this.remember(projectId, value);
    return value;
  }

  private remember(projectId: string, record: IamPolicyRecord | undefined): void {
    if (this.deps.cacheTtlMs <= 0) return;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(projectId, {record, until: this.deps.clock.now().getTime() + this.deps.cacheTtlMs});
  }
}

function etagMismatch(projectId: string, etag: string): GafferError {
  return new GafferError(
    'ABORTED',
    `The IAM policy of projects/${projectId} changed since it was read (etag ${JSON.stringify(etag)} is stale); read it again and reapply your change.`,
    {reason: 'ETAG_MISMATCH', metadata: {resource: `projects/${projectId}`}},
  );
}

/** Parses GAFFER_ADMINS: comma-separated members, each given roles/genomics.admin on every project. */
export function parseMembers(text: string): string[] {
  const members = text
    .split(',')
    .map(m => m.trim())
    .filter(m => m !== '');
  for (const member of members) {
    if (!MEMBER.test(member) || member === 'allAuthenticatedUsers') {
      throw new Error(`must list members separated by commas (user:EMAIL, serviceAccount:EMAIL, group:NAME, domain:DOMAIN), but has ${JSON.stringify(member)}`);
    }
  }
  return members.map(normalizeMember);
}

/** Parses GAFFER_IAM_POLICY: {"bindings": [{"role", "members"}]} (or @file), inherited by every project. */
export function parseInheritedPolicy(text: string, readFile: (path: string) => string): IamBinding[] {
  const json = text.trim().startsWith('@') ? readFile(text.trim().slice(1).trim()) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`must be a JSON IAM policy {"bindings": [{"role": ..., "members": [...]}]}: ${(err as Error).message}`, {cause: err});
  }
  const bindings = (value as {bindings?: unknown} | null)?.bindings;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Array.isArray(bindings)) {
    throw new Error('must be a JSON object with a "bindings" array');
  }
  const extra = Object.keys(value).filter(k => k !== 'bindings' && k !== 'version' && k !== 'etag');
  if (extra.length > 0) throw new Error(`has unknown keys ${extra.join(', ')}`);
  try {
    return normalizeBindings(bindings as Array<{role?: unknown; members?: unknown}>, 'bindings');
  } catch (err) {
    throw new Error((err as Error).message, {cause: err});
  }
}
