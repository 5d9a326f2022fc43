/** Every RPC Gaffer serves; the local server mounts all of them. */
import type {Rpc} from '../src/http/rpc';
import {cancelOperation} from './cancelOperation';
import {checkIn} from './checkIn';
import {checkInByToken} from './checkInByToken';
import {getWorker} from './getWorker';
import {listWorkers} from './listWorkers';
import {locationsWorkerMessages} from './locationsWorkerMessages';
import {workerMessages} from './workerMessages';
import {getOperation} from './getOperation';
import {listOperations} from './listOperations';
import {runPipeline} from './runPipeline';
import {waitOperation} from './waitOperation';

export const RPCS: readonly Rpc[] = [
  runPipeline as Rpc,
  getOperation,
  listOperations,
  cancelOperation as Rpc,
  waitOperation as Rpc,
  checkIn as Rpc,
  checkInByToken as Rpc,
  workerMessages as Rpc,
  locationsWorkerMessages as Rpc,
  getWorker,
  listWorkers,
];
