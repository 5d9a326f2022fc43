/** What the worker reports of the machine it runs on (v2alpha1 WorkerStatus). */
import {statfs} from 'fs/promises';
import {freemem, totalmem, uptime} from 'os';
import type {WorkerStatusJson} from '../wire/genomics';

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
