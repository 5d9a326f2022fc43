/**
 * Compute Engine machine types as Gaffer knows them: vCPUs, RAM and the GPUs a type
 * comes with (a2 and g2 types have theirs built in). Shared by the scheduler (what a
 * pipeline needs) and the worker agent (whether this host can run it).
 */

const GIB = 1024 ** 3;

export interface MachineSize {
  cpus: number;
  memoryBytes: number;
  /** GPUs the type always has (accelerator type -> count), e.g. a2-highgpu-8g: 8 nvidia-tesla-a100. */
  accelerators: Array<{type: string; count: number}>;
}

/** GiB of RAM per vCPU of the predefined families that scale with the vCPU count. */
const PER_CPU: Record<string, Record<string, number>> = {
  standard: {n1: 3.75, n2: 4, n2d: 4, e2: 4, c2: 4, c2d: 4, t2d: 4, t2a: 4, n4: 4, c3: 4, c3d: 4, c4: 3.75},
  highmem: {n1: 6.5, n2: 8, n2d: 8, e2: 8, c2d: 8, n4: 8, c3: 8, c3d: 8, c4: 7.75},
  highcpu: {n1: 0.9, n2: 1, n2d: 1, e2: 1, c2d: 2, n4: 2, c3: 2, c3d: 2, c4: 2},
};

/** Types of a fixed size: shared-core, memory-optimized, and the GPU-bundled families. */
const FIXED: Record<string, {cpus: number; gib: number; gpu?: [string, number]}> = {
  'f1-micro': {cpus: 1, gib: 0.6},
  'g1-small': {cpus: 1, gib: 1.7},
  'e2-micro': {cpus: 2, gib: 1},
  'e2-small': {cpus: 2, gib: 2},
  'e2-medium': {cpus: 2, gib: 4},
  'n1-megamem-96': {cpus: 96, gib: 1433.6},
  'n1-ultramem-40': {cpus: 40, gib: 961},
  'n1-ultramem-80': {cpus: 80, gib: 1922},
  'n1-ultramem-160': {cpus: 160, gib: 3844},
  'm1-megamem-96': {cpus: 96, gib: 1433.6},
  'm1-ultramem-40': {cpus: 40, gib: 961},
  'm1-ultramem-80': {cpus: 80, gib: 1922},
  'm1-ultramem-160': {cpus: 160, gib: 3844},
  'm2-megamem-416': {cpus: 416, gib: 5888},
  'm2-ultramem-208': {cpus: 208, gib: 5888},
  'm2-ultramem-416': {cpus: 416, gib: 11776},
  'a2-highgpu-1g': {cpus: 12, gib: 85, gpu: ['nvidia-tesla-a100', 1]},
  'a2-highgpu-2g': {cpus: 24, gib: 170, gpu: ['nvidia-tesla-a100', 2]},
  'a2-highgpu-4g': {cpus: 48, gib: 340, gpu: ['nvidia-tesla-a100', 4]},
  'a2-highgpu-8g': {cpus: 96, gib: 680, gpu: ['nvidia-tesla-a100', 8]},
  'a2-megagpu-16g': {cpus: 96, gib: 1360, gpu: ['nvidia-tesla-a100', 16]},
  'a2-ultragpu-1g': {cpus: 12, gib: 170, gpu: ['nvidia-a100-80gb', 1]},
  'a2-ultragpu-2g': {cpus: 24, gib: 340, gpu: ['nvidia-a100-80gb', 2]},
  'a2-ultragpu-4g': {cpus: 48, gib: 680, gpu: ['nvidia-a100-80gb', 4]},
  'a2-ultragpu-8g': {cpus: 96, gib: 1360, gpu: ['nvidia-a100-80gb', 8]},
  'g2-standard-4': {cpus: 4, gib: 16, gpu: ['nvidia-l4', 1]},
  'g2-standard-8': {cpus: 8, gib: 32, gpu: ['nvidia-l4', 1]},
  'g2-standard-12': {cpus: 12, gib: 48, gpu: ['nvidia-l4', 1]},
  'g2-standard-16': {cpus: 16, gib: 64, gpu: ['nvidia-l4', 1]},
  'g2-standard-24': {cpus: 24, gib: 96, gpu: ['nvidia-l4', 2]},
  'g2-standard-32': {cpus: 32, gib: 128, gpu: ['nvidia-l4', 1]},
  'g2-standard-48': {cpus: 48, gib: 192, gpu: ['nvidia-l4', 4]},
  'g2-standard-96': {cpus: 96, gib: 384, gpu: ['nvidia-l4', 8]},
};

/** vCPUs, RAM and built-in GPUs of a machine type Gaffer knows (predefined or custom); undefined otherwise. */
export function machineSize(machineType: string): MachineSize | undefined {
  const fixed = FIXED[machineType];
  if (fixed) {
    return {cpus: fixed.cpus, memoryBytes: Math.round(fixed.gib * GIB), accelerators: fixed.gpu ? [{type: fixed.gpu[0], count: fixed.gpu[1]}] : []};
  }
  // custom-CPUS-MEMORY_MB, optionally with a family prefix (n2-custom-...) and -ext (extended memory).
  const custom = /^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(machineType);
  if (custom) return {cpus: Number(custom[1]), memoryBytes: Number(custom[2]) * 1024 * 1024, accelerators: []};
  const predefined = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  const perCpu = predefined && PER_CPU[predefined[2] ?? '']?.[predefined[1] ?? ''];
  if (!predefined || !perCpu) return undefined;
  const cpus = Number(predefined[3]);
  if (cpus <= 0) return undefined;
  return {cpus, memoryBytes: Math.round(cpus * perCpu * GIB), accelerators: []};
}
