/**
 * What a pipeline needs of a worker, and whether a worker has it (pure).
 *
 * A pipeline's requirements come from its resources: CPUs and RAM of its machine type
 * (lib/machineTypes), accelerators (those it lists and those its machine type comes
 * with), the disks it asks for, its zones or regions, whether it may be preempted, and
 * the worker pool it names with the `gaffer-pool` label. Operations with equal
 * requirements (and equal fair-share label value) form one queue class; the queue is
 * indexed by class, so a check-in asks for the classes its worker can run and reads
 * only their oldest operations (docs/design.md, "Scheduling").
 *
 * A worker says what it is in `capabilities` (Gaffer's extension of CheckInRequest). A
 * worker that says nothing (Google's plain client) is taken to have no accelerators and
 * no pool: it runs only pipelines that ask for neither. What a worker leaves out
 * (its zone, its CPUs...) is not held against a pipeline.
 */
import {createHash} from 'crypto';
import {canonicalJson} from '../lib/canonicalJson';
import {machineSize} from '../lib/machineTypes';
import type {RunPipelineRequestJson, WorkerCapabilitiesJson} from '../wire/genomics';

/** The label (on the operation, or on virtualMachine.labels) that sends a pipeline to one worker pool. */
export const POOL_LABEL = 'gaffer-pool';

/** The RAM a VM of a machine type shows its OS is a little less than the type's: accept 90 %. */
const MEMORY_TOLERANCE = 0.9;

const GIB = 1024 ** 3;

export interface AcceleratorNeed {
  type: string;
  count: number;
}

/** What a pipeline asks of the worker that runs it. Absent: anything will do. */
export interface Requirements {
  machineType?: string;
  cpus?: number;
  memoryBytes?: number;
  /** By type, sorted; counts summed. */
  accelerators: AcceleratorNeed[];
  /** Disks and volumes the worker creates for it, in GB. */
  diskGb: number;
  /** Allowed zones (may end in `*`) or regions; both empty: anywhere. */
  zones: string[];
  regions: string[];
  /** The pipeline allows a preemptible worker. */
  preemptible: boolean;
  pool?: string;
}

/** One class of queued operations: equal requirements and equal fair-share value. */
export interface QueueClass {
  /** A digest of requirements and share: the indexed field of a queued operation. */
  key: string;
  requirements: Requirements;
  /** The value of the fair-share label (e.g. dsub's user-id); '' if none. */
  share: string;
}

export function requirementsOf(request: RunPipelineRequestJson): Requirements {
  const resources = request.pipeline.resources;
  const vm = resources.virtualMachine;
  const machineType = vm?.machineType || undefined;
  const size = machineType ? machineSize(machineType) : undefined;
  const accelerators = new Map<string, number>();
  const add = (type: string, count: number) => {
    if (type && count > 0) accelerators.set(type, (accelerators.get(type) ?? 0) + count);
  };
  for (const a of vm?.accelerators ?? []) add(a.type ?? '', Number(a.count ?? 0));
  // A GPU-bundled type (a2, g2) comes with its GPUs: asking for them again is not twice as many.
  for (const a of size?.accelerators ?? []) if (!accelerators.has(a.type)) add(a.type, a.count);
  const disks = [...(vm?.disks ?? []), ...(vm?.volumes ?? []).map(v => v.persistentDisk ?? {})];
  const diskGb = disks.reduce((sum, d) => sum + (Number((d as {sizeGb?: number | string}).sizeGb ?? 0) || 0), 0);
  const pool = request.labels?.[POOL_LABEL] ?? vm?.labels?.[POOL_LABEL];
  return {
    ...(machineType ? {machineType} : {}),
    ...(size ? {cpus: size.cpus, memoryBytes: size.memoryBytes} : {}),
    accelerators: [...accelerators].map(([type, count]) => ({type, count})).sort((a, b) => (a.type < b.type ? -1 : 1)),
    diskGb,
    zones: [...(resources.zones ?? [])].sort(),
    regions: [...(resources.regions ?? [])].sort(),
    preemptible: vm?.preemptible === true,
    ...(pool ? {pool} : {}),
  };
}

/** The queue class of a pipeline; `shareLabel` names the fair-share label (undefined: none). */
export function queueClassOf(request: RunPipelineRequestJson, shareLabel?: string): QueueClass {
  const requirements = requirementsOf(request);
  const share = (shareLabel && request.labels?.[shareLabel]) || '';
  return {key: classKey(requirements, share), requirements, share};
}

export function classKey(requirements: Requirements, share: string): string {
  return 'q' + createHash('sha256').update(canonicalJson({requirements, share})).digest('base64url').slice(0, 22);
}

/** What a worker offers, from its capabilities (undefined: it sent none). */
export interface WorkerOffer {
  /** It sent capabilities. */
  declared: boolean;
  machineType?: string;
  cpus?: number;
  memoryBytes?: number;
  accelerators: Map<string, number>;
  freeDiskBytes?: number;
  zone?: string;
  preemptible: boolean;
  pool?: string;
}

export function offerOf(capabilities: WorkerCapabilitiesJson | undefined): WorkerOffer {
  if (!capabilities) return {declared: false, accelerators: new Map(), preemptible: false};
  const size = capabilities.machineType ? machineSize(capabilities.machineType) : undefined;
  const accelerators = new Map<string, number>();
  for (const a of capabilities.accelerators ?? size?.accelerators ?? []) accelerators.set(a.type, (accelerators.get(a.type) ?? 0) + Number(a.count));
  const number = (value: string | number | undefined) => (value === undefined ? undefined : Number(value));
  const offer: WorkerOffer = {declared: true, accelerators, preemptible: capabilities.preemptible === true};
  // A worker that runs any machine type (--ignore-machine-type) is not held to its size.
  const sized = capabilities.anyMachineType !== true;
  const cpus = sized ? (capabilities.cpuCount ?? size?.cpus) : undefined;
  const memoryBytes = sized ? (number(capabilities.memoryBytes) ?? size?.memoryBytes) : undefined;
  const freeDiskBytes = number(capabilities.freeDiskBytes);
  if (capabilities.machineType) offer.machineType = capabilities.machineType;
  if (cpus !== undefined) offer.cpus = cpus;
  if (memoryBytes !== undefined) offer.memoryBytes = memoryBytes;
  if (freeDiskBytes !== undefined) offer.freeDiskBytes = freeDiskBytes;
  if (capabilities.zone) offer.zone = capabilities.zone;
  if (capabilities.pool) offer.pool = capabilities.pool;
  return offer;
}

/** The region of a zone: us-central1-a -> us-central1. */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

function zoneAllowed(zone: string, requirements: Requirements): boolean {
  const {zones, regions} = requirements;
  if (zones.length === 0 && regions.length === 0) return true;
  if (regions.includes(regionOf(zone))) return true;
  return zones.some(z => (z.endsWith('*') ? zone.startsWith(z.slice(0, -1)) : z === zone));
}

/**
 * What the worker lacks to run a pipeline with these requirements, each as a short
 * phrase ("8 x nvidia-tesla-a100", "96 vCPUs"); empty: it can run it.
 */
export function unmetRequirements(requirements: Requirements, offer: WorkerOffer): string[] {
  const unmet: string[] = [];
  const sameType = requirements.machineType !== undefined && requirements.machineType === offer.machineType;
  if (!sameType && requirements.cpus !== undefined && offer.cpus !== undefined && offer.cpus < requirements.cpus) {
    unmet.push(`${requirements.cpus} vCPUs`);
  }
  if (!sameType && requirements.memoryBytes !== undefined && offer.memoryBytes !== undefined && offer.memoryBytes < requirements.memoryBytes * MEMORY_TOLERANCE) {
    unmet.push(`${formatGib(requirements.memoryBytes)} GiB of RAM`);
  }
  for (const a of requirements.accelerators) {
    if ((offer.accelerators.get(a.type) ?? 0) < a.count) unmet.push(`${a.count} x ${a.type}`);
  }
  if (requirements.diskGb > 0 && offer.freeDiskBytes !== undefined && offer.freeDiskBytes < requirements.diskGb * 1e9) {
    unmet.push(`${requirements.diskGb} GB of disk`);
  }
  if (offer.zone !== undefined && !zoneAllowed(offer.zone, requirements)) unmet.push(`a zone in ${placeOf(requirements)}`);
  if (offer.preemptible && !requirements.preemptible) unmet.push('a worker that is not preemptible');
  if (requirements.pool !== undefined && requirements.pool !== offer.pool) unmet.push(`pool ${requirements.pool}`);
  return unmet;
}

export function canRun(requirements: Requirements, offer: WorkerOffer): boolean {
  return unmetRequirements(requirements, offer).length === 0;
}

/** Where a pipeline may run, in words ("us-central1", "us-east1-b or us-east1-c"). */
export function placeOf(requirements: Requirements): string {
  const places = [...requirements.regions, ...requirements.zones];
  return places.length === 0 ? 'any zone' : places.join(' or ');
}

function formatGib(bytes: number): string {
  const gib = bytes / GIB;
  return Number.isInteger(gib) ? String(gib) : gib.toFixed(2);
}

/** A worker as delay explanations see it: what it offers and whether it holds work. */
export interface LiveWorker {
  offer: WorkerOffer;
  busy: boolean;
}

/** Why a class's operations wait (google.genomics.v2alpha1.DelayedEvent's fields). */
export interface Delay {
  cause: string;
  metrics: string[];
}

/** Everything a pipeline asks for, as phrases ("96 vCPUs", "8 x nvidia-a100-80gb"). */
export function requirementPhrases(requirements: Requirements): string[] {
  const phrases: string[] = [];
  for (const a of requirements.accelerators) phrases.push(`${a.count} x ${a.type}`);
  if (requirements.cpus !== undefined) phrases.push(`${requirements.cpus} vCPUs`);
  if (requirements.memoryBytes !== undefined) phrases.push(`${formatGib(requirements.memoryBytes)} GiB of RAM`);
  if (requirements.diskGb > 0) phrases.push(`${requirements.diskGb} GB of disk`);
  if (requirements.pool !== undefined) phrases.push(`pool ${requirements.pool}`);
  return phrases;
}

/**
 * Why operations with these requirements wait, given the project's live workers; undefined
 * when an idle worker can take them (they wait for its next check-in, not for a resource).
 * No match: the cause names everything the pipeline asks for and where; `metrics` are
 * the requirements live workers lack (all of them when no worker is live).
 */
export function delayOf(requirements: Requirements, workers: readonly LiveWorker[]): Delay | undefined {
  const matching = workers.filter(w => canRun(requirements, w.offer));
  if (matching.some(w => !w.busy)) return undefined;
  if (matching.length > 0) {
    const n = matching.length;
    return {cause: n === 1 ? 'the only matching worker is busy' : `all ${n} matching workers are busy`, metrics: []};
  }
  const wanted = requirementPhrases(requirements);
  const where = requirements.zones.length + requirements.regions.length > 0 ? ` in ${placeOf(requirements)}` : '';
  const what = wanted.length > 0 ? ` with ${wanted.join(', ')}` : '';
  if (workers.length === 0) return {cause: `no live worker${what}${where}: none has checked in lately`, metrics: wanted.length > 0 ? wanted : ['a live worker']};
  const lacking = new Set<string>();
  for (const w of workers) for (const phrase of unmetRequirements(requirements, w.offer)) lacking.add(phrase);
  return {cause: what || where ? `no worker${what}${where}` : 'no worker can run it', metrics: [...lacking].sort()};
}
