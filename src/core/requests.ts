/**
 * A RunPipelineRequest as Gaffer keeps it: numbers in the form proto3 JSON writes them
 * (int64 as strings, so Java clients such as Cromwell's can read them back; int32 as
 * numbers, however the client sent them), and labels that a Firestore index can hold.
 */
import type {RunPipelineRequestJson} from '../wire/genomics';
import {invalidArgument} from './errors';
import {labelPair} from './filter';

/** Firestore refuses an index entry over 1500 bytes; a label is indexed as one. */
const MAX_LABEL_ENTRY_BYTES = 1500;

export function canonicalRunRequest(request: RunPipelineRequestJson): RunPipelineRequestJson {
  const copy = structuredClone(request);
  const vm = copy.pipeline.resources.virtualMachine;
  if (vm) {
    for (const accelerator of vm.accelerators ?? []) {
      if (accelerator.count !== undefined) accelerator.count = String(accelerator.count);
    }
    if (vm.bootDiskSizeGb !== undefined) vm.bootDiskSizeGb = Number(vm.bootDiskSizeGb);
    for (const disk of vm.disks ?? []) if (disk.sizeGb !== undefined) disk.sizeGb = Number(disk.sizeGb);
    for (const volume of vm.volumes ?? []) {
      if (volume.persistentDisk?.sizeGb !== undefined) volume.persistentDisk.sizeGb = Number(volume.persistentDisk.sizeGb);
    }
  }
  checkLabelsStorable(copy.labels ?? {});
  return copy;
}

/** Any non-empty key is a valid operation label, as long as Firestore can index it. */
export function checkLabelsStorable(labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    const bytes = Math.max(Buffer.byteLength(labelPair(key, value)), Buffer.byteLength(key) + 16);
    if (bytes > MAX_LABEL_ENTRY_BYTES) {
      throw invalidArgument(`labels[${JSON.stringify(key.slice(0, 40))}]`, `a label whose key and value together take at most ${MAX_LABEL_ENTRY_BYTES - 16} bytes of UTF-8`, `${bytes} bytes`);
    }
  }
}
