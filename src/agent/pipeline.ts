/**
 * What a worker makes of a pipeline before it runs anything (pure): every field of
 * Pipeline, Action and Resources is either honoured (and planned here: the disks, the
 * mounts, the images to prefetch, the accelerators) or refused, with a FailedEvent's
 * code and a cause that names the field and says why. README.md's field table says the
 * same, field by field.
 */
import type {ActionJson, PipelineJson} from '../wire/genomics';
import type {RpcCodeName} from '../wire/proto3';
import {machineSize} from '../lib/machineTypes';

export {machineSize};

export const FLAGS = [
  'FLAG_UNSPECIFIED',
  'IGNORE_EXIT_STATUS',
  'RUN_IN_BACKGROUND',
  'ALWAYS_RUN',
  'ENABLE_FUSE',
  'PUBLISH_EXPOSED_PORTS',
  'DISABLE_IMAGE_PREFETCH',
  'DISABLE_STANDARD_ERROR_CAPTURE',
  'BLOCK_EXTERNAL_NETWORK',
] as const;
export type Flag = (typeof FLAGS)[number];

/** An action as the worker takes it: v2alpha1's, plus v2beta's containerName should a translation keep it. */
export type AgentAction = ActionJson & {containerName?: string};

/** A pipeline as the worker takes it (tests may leave resources out). */
export type AgentPipeline = Omit<PipelineJson, 'actions' | 'resources'> & {actions: AgentAction[]; resources?: PipelineJson['resources']};

/** What this worker can provide: its executor's features, its size and place, and what its operator configured. */
export interface WorkerProfile {
  executor: 'docker' | 'local';
  /** Actions can get mounts of their own (Docker; host processes: root and `unshare -m`). */
  privateMounts: boolean;
  /** Actions can be cut off the network (Docker; host processes: root and `unshare -n`). */
  privateNetwork: boolean;
  zone?: string;
  machineType?: string;
  cpuCount?: number;
  memoryBytes?: number;
  accelerators: ReadonlyArray<{type: string; count: number}>;
  /** Existing disks the operator gave this worker: name -> host directory (--disk NAME=PATH). */
  disks: Readonly<Record<string, string>>;
  /** /dev/fuse exists. */
  fuse: boolean;
  /** The identity the actions run as, if the worker knows it (--service-account, the metadata server). */
  serviceAccount?: string;
  /** false: run pipelines whatever machine type they ask for (--ignore-machine-type). */
  checkMachineType: boolean;
}

/** A disk an operation gets: a fresh directory of its own, or a directory the operator configured. */
export type DiskPlan = {name: string; kind: 'scratch'; sizeBytes: number} | {name: string; kind: 'host'; hostPath: string};

export interface ActionPlan {
  actionId: number;
  action: AgentAction;
  flags: ReadonlySet<Flag>;
  mounts: Array<{disk: string; path: string; readOnly: boolean}>;
  /** containerPort -> hostPort (0: any free port). */
  portMappings: Record<string, number>;
}

export interface OperationPlan {
  disks: DiskPlan[];
  actions: ActionPlan[];
  /** Pulled before the first action: every image some action uses without DISABLE_IMAGE_PREFETCH. */
  prefetch: string[];
  /** Accelerators to give the actions (type -> count). */
  accelerators: Array<{type: string; count: number}>;
  /** virtualMachine.network.usePrivateAddress: ContainerStartedEvent gives no address. */
  privateAddress: boolean;
}

export interface Refusal {
  code: RpcCodeName;
  cause: string;
}

const GIB = 1024 ** 3;
const DISK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Plans the operation, or says why this worker refuses it (every problem found, the first one's code). */
export function planOperation(pipeline: AgentPipeline, profile: WorkerProfile): {plan: OperationPlan} | {refusal: Refusal} {
  const problems: Refusal[] = [];
  const refuse = (code: RpcCodeName, cause: string) => problems.push({code, cause});
  const vm = pipeline.resources?.virtualMachine;

  placement(pipeline, profile, refuse);
  if (vm?.serviceAccount?.email && vm.serviceAccount.email !== 'default' && vm.serviceAccount.email !== profile.serviceAccount) {
    refuse(
      'FAILED_PRECONDITION',
      `resources.virtualMachine.serviceAccount.email: actions run as this worker's own identity (${profile.serviceAccount ?? 'not configured: --service-account'}), not ${vm.serviceAccount.email}`,
    );
  }
  const accelerators = (vm?.accelerators ?? []).map((a, i) => ({type: a.type ?? '', count: Number(a.count ?? 0), at: `resources.virtualMachine.accelerators[${i}]`}));
  for (const want of accelerators) {
    if (want.count <= 0) continue;
    const have = profile.accelerators.find(a => a.type === want.type)?.count ?? 0;
    if (have < want.count) {
      const what = profile.accelerators.length ? profile.accelerators.map(a => `${a.count} ${a.type}`).join(', ') : 'none';
      refuse('FAILED_PRECONDITION', `${want.at}: the pipeline asks for ${want.count} ${want.type}; this worker has ${what} (--gpus TYPE=COUNT)`);
    }
  }

  const disks = planDisks(pipeline, profile, refuse);
  const known = new Set(disks.map(d => d.name));
  const actions = pipeline.actions.map((action, index) => planAction(action, index + 1, known, profile, refuse));
  if (problems.length > 0) {
    const [first] = problems;
    return {refusal: {code: first?.code ?? 'FAILED_PRECONDITION', cause: `This worker can't run the pipeline: ${problems.map(p => p.cause).join('; ')}`}};
  }
  const prefetch = [...new Set(actions.filter(a => !a.flags.has('DISABLE_IMAGE_PREFETCH')).map(a => a.action.imageUri))];
  return {
    plan: {
      disks,
      actions,
      prefetch: profile.executor === 'docker' ? prefetch : [],
      accelerators: accelerators.filter(a => a.count > 0).map(({type, count}) => ({type, count})),
      privateAddress: vm?.network?.usePrivateAddress === true,
    },
  };
}

/** zones/regions against the worker's zone; machineType against its size. */
function placement(pipeline: AgentPipeline, profile: WorkerProfile, refuse: (code: RpcCodeName, cause: string) => void): void {
  const resources = pipeline.resources;
  const zone = profile.zone;
  if (zone) {
    const region = zone.replace(/-[a-z]$/, '');
    const zones = resources?.zones ?? [];
    const regions = resources?.regions ?? [];
    if (zones.length > 0 && !zones.includes(zone) && !regions.includes(region)) {
      refuse('FAILED_PRECONDITION', `resources.zones: this worker is in ${zone}, not in ${zones.join(', ')}`);
    } else if (zones.length === 0 && regions.length > 0 && !regions.includes(region)) {
      refuse('FAILED_PRECONDITION', `resources.regions: this worker is in ${region} (${zone}), not in ${regions.join(', ')}`);
    }
  }
  const wanted = pipeline.resources?.virtualMachine?.machineType;
  if (!wanted || !profile.checkMachineType || wanted === profile.machineType) return;
  const size = machineSize(wanted);
  if (!size) return;
  const short: string[] = [];
  if (profile.cpuCount !== undefined && profile.cpuCount < size.cpus) short.push(`${profile.cpuCount} vCPUs`);
  // The OS keeps part of the RAM: a VM of exactly that type shows a little less.
  if (profile.memoryBytes !== undefined && profile.memoryBytes < size.memoryBytes * 0.9) short.push(`${(profile.memoryBytes / GIB).toFixed(1)} GiB of RAM`);
  if (short.length > 0) {
    refuse(
      'FAILED_PRECONDITION',
      `resources.virtualMachine.machineType: ${wanted} has ${size.cpus} vCPUs and ${(size.memoryBytes / GIB).toFixed(2)} GiB; this worker has only ${short.join(' and ')} (--ignore-machine-type runs it anyway)`,
    );
  }
}

function planDisks(pipeline: AgentPipeline, profile: WorkerProfile, refuse: (code: RpcCodeName, cause: string) => void): DiskPlan[] {
  const vm = pipeline.resources?.virtualMachine;
  const disks = vm?.disks ?? [];
  const volumes = vm?.volumes ?? [];
  if (disks.length > 0 && volumes.length > 0) {
    refuse('INVALID_ARGUMENT', 'resources.virtualMachine: specify either disks or volumes, not both');
    return [];
  }
  const planned: DiskPlan[] = [];
  const configured = (name: string): string | undefined =>
    profile.disks[name] ?? profile.disks[name.slice(name.lastIndexOf('/') + 1)];
  const add = (at: string, name: string | undefined, plan: (name: string) => DiskPlan | undefined) => {
    if (!name || !DISK_NAME.test(name)) return refuse('INVALID_ARGUMENT', `${at}: a disk needs a name of letters, digits and hyphens`);
    if (planned.some(d => d.name === name)) return refuse('INVALID_ARGUMENT', `${at}: a second disk named "${name}"`);
    const disk = plan(name);
    if (disk) planned.push(disk);
  };
  // sizeGb: an int32, which dsub sometimes sends as a string.
  const scratch = (at: string, name: string, sizeGb: number | string | undefined, sourceImage: string | undefined): DiskPlan | undefined => {
    if (!sourceImage) return {name, kind: 'scratch', sizeBytes: Math.max(0, Number(sizeGb ?? 0) || 0) * GIB};
    const hostPath = configured(sourceImage);
    if (hostPath) return {name, kind: 'host', hostPath};
    refuse('UNIMPLEMENTED', `${at}.sourceImage: this worker can't make a disk from the image ${sourceImage}; it can mount a directory its operator configured with --disk ${sourceImage.slice(sourceImage.lastIndexOf('/') + 1)}=PATH`);
    return undefined;
  };
  disks.forEach((disk, i) => add(`resources.virtualMachine.disks[${i}]`, disk.name, name => scratch(`resources.virtualMachine.disks[${i}]`, name, disk.sizeGb, disk.sourceImage)));
  volumes.forEach((volume, i) => {
    const at = `resources.virtualMachine.volumes[${i}]`;
    add(at, volume.volume, name => {
      if (volume.nfsMount) {
        refuse('UNIMPLEMENTED', `${at}.nfsMount: this worker can't mount NFS (${volume.nfsMount.target ?? 'no target'})`);
        return undefined;
      }
      if (volume.existingDisk) {
        const disk = volume.existingDisk.disk ?? '';
        const hostPath = configured(disk);
        if (hostPath) return {name, kind: 'host', hostPath};
        refuse('FAILED_PRECONDITION', `${at}.existingDisk: this worker has no disk "${disk}" (its operator gives it disks with --disk NAME=PATH)`);
        return undefined;
      }
      return scratch(`${at}.persistentDisk`, name, volume.persistentDisk?.sizeGb, volume.persistentDisk?.sourceImage);
    });
  });
  return planned;
}

function planAction(
  action: AgentAction,
  actionId: number,
  disks: ReadonlySet<string>,
  profile: WorkerProfile,
  refuse: (code: RpcCodeName, cause: string) => void,
): ActionPlan {
  const at = `actions[${actionId - 1}]`;
  const flags = new Set<Flag>(action.flags ?? []);
  const local = profile.executor === 'local';
  const mounts = (action.mounts ?? []).map((mount, i) => {
    const where = `${at}.mounts[${i}]`;
    const path = mount.path ?? '';
    if (!mount.disk || !disks.has(mount.disk)) refuse('INVALID_ARGUMENT', `${where}.disk: no disk or volume named "${mount.disk ?? ''}" in resources.virtualMachine`);
    if (!path.startsWith('/') || path === '/' || /(^|\/)\.\.?(\/|$)/.test(path) || /[:,]/.test(path)) {
      refuse('INVALID_ARGUMENT', `${where}.path: an absolute path other than / without "..", ":" or ",", not ${JSON.stringify(path)}`);
    } else if (path === '/google' || path.startsWith('/google/')) {
      refuse('INVALID_ARGUMENT', `${where}.path: /google is the worker's (logs are at /google/logs)`);
    }
    return {disk: mount.disk ?? '', path: path.replace(/\/+$/, ''), readOnly: mount.readOnly === true};
  });
  if (mounts.length > 0 && !profile.privateMounts) {
    refuse(
      'FAILED_PRECONDITION',
      `${at}.mounts: this worker runs actions as host processes and can't give them mounts of their own (that needs root and unshare -m); it would have to use the host's own ${mounts.map(m => m.path).join(', ')}`,
    );
  }
  const portMappings: Record<string, number> = {};
  for (const [containerPort, hostPort] of Object.entries(action.portMappings ?? {})) {
    if (!/^\d{1,5}$/.test(containerPort) || Number(containerPort) < 1 || Number(containerPort) > 65535 || hostPort > 65535) {
      refuse('INVALID_ARGUMENT', `${at}.portMappings: ports within [1, 65535] (host port 0: any), not ${containerPort} -> ${hostPort}`);
    }
    portMappings[containerPort] = hostPort;
  }
  if (local && (Object.keys(portMappings).length > 0 || flags.has('PUBLISH_EXPOSED_PORTS'))) {
    refuse('FAILED_PRECONDITION', `${at}.${flags.has('PUBLISH_EXPOSED_PORTS') ? 'flags PUBLISH_EXPOSED_PORTS' : 'portMappings'}: host processes listen on the host's ports directly; this worker can't map them`);
  }
  if (flags.has('BLOCK_EXTERNAL_NETWORK') && !profile.privateNetwork) {
    refuse('FAILED_PRECONDITION', `${at}.flags BLOCK_EXTERNAL_NETWORK: this worker runs actions as host processes and can't cut them off the network (that needs root and unshare -n)`);
  }
  if (flags.has('ENABLE_FUSE') && !local && !profile.fuse) {
    refuse('FAILED_PRECONDITION', `${at}.flags ENABLE_FUSE: this worker has no /dev/fuse`);
  }
  if (!local && !action.imageUri) refuse('INVALID_ARGUMENT', `${at}.imageUri: required`);
  return {actionId, action, flags, mounts, portMappings};
}
