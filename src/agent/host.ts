/** What the worker reports of the machine it runs on: v2alpha1 WorkerStatus, and Gaffer's capabilities. */
import {statfs} from 'fs/promises';
import {availableParallelism, freemem, totalmem, uptime} from 'os';
import type {WorkerCapabilitiesJson, WorkerStatusJson} from '../wire/genomics';

export async function hostStatus(bootDiskPath = '/'): Promise<WorkerStatusJson> {
  const status: WorkerStatusJson = {
    freeRamBytes: String(freemem()),
    totalRamBytes: String(totalmem()),
    uptimeSeconds: String(Math.floor(uptime())),
  };
  try {
    const disk = await statfs(bootDiskPath);
    status.bootDisk = {
      freeSpaceBytes: String(disk.bavail * disk.bsize),
      totalSpaceBytes: String(disk.blocks * disk.bsize),
    };
  } catch {
    // statfs is unavailable on some platforms: report RAM and uptime only.
  }
  return status;
}

/** What the operator said this worker is (flags); what the host and GCE say fills the rest. */
export interface WorkerFacts {
  zone?: string;
  machineType?: string;
  preemptible?: boolean;
  pool?: string;
  accelerators: Array<{type: string; count: number}>;
  serviceAccount?: string;
  /** It runs pipelines whatever machine type they ask for (--ignore-machine-type). */
  anyMachineType?: boolean;
}

/** The Gaffer extension of CheckInRequest: what this worker is, now. */
export async function hostCapabilities(facts: WorkerFacts, freeDiskBytes: () => Promise<number>): Promise<WorkerCapabilitiesJson> {
  const capabilities: WorkerCapabilitiesJson = {
    cpuCount: availableParallelism(),
    memoryBytes: String(totalmem()),
  };
  if (facts.zone) capabilities.zone = facts.zone;
  if (facts.machineType) capabilities.machineType = facts.machineType;
  if (facts.preemptible !== undefined) capabilities.preemptible = facts.preemptible;
  if (facts.pool) capabilities.pool = facts.pool;
  if (facts.anyMachineType) capabilities.anyMachineType = true;
  if (facts.accelerators.length > 0) capabilities.accelerators = facts.accelerators.map(a => ({type: a.type, count: String(a.count)}));
  try {
    capabilities.freeDiskBytes = String(await freeDiskBytes());
  } catch {
    // no statfs here: say nothing about disk
  }
  return capabilities;
}

const METADATA = 'http://metadata.google.internal/computeMetadata/v1/instance';

/**
 * Zone, machine type, preemptibility and service account from the GCE metadata server,
 * or undefined off Compute Engine (it answers within `timeoutMs` or not at all).
 */
export async function gceFacts(timeoutMs = 1000): Promise<Partial<WorkerFacts> | undefined> {
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`${METADATA}/${path}`, {headers: {'Metadata-Flavor': 'Google'}, signal: AbortSignal.timeout(timeoutMs)});
    if (!res.ok) throw new Error(`metadata ${path}: ${res.status}`);
    return (await res.text()).trim();
  };
  try {
    const [zone, machineType, preemptible, serviceAccount] = await Promise.all([
      get('zone'),
      get('machine-type'),
      get('scheduling/preemptible'),
      get('service-accounts/default/email').catch(() => ''),
    ]);
    // projects/NUMBER/zones/us-central1-a, projects/NUMBER/machineTypes/n1-standard-4
    const last = (text: string) => text.slice(text.lastIndexOf('/') + 1);
    return {zone: last(zone), machineType: last(machineType), preemptible: preemptible === 'TRUE', ...(serviceAccount ? {serviceAccount} : {})};
  } catch {
    return undefined;
  }
}
