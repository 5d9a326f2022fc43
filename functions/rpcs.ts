/** Every RPC Gaffer serves; the local server mounts all of them. */
import type {AnyRpc} from '../src/http/rpc';
import {cancelOperation} from './cancelOperation';
import {checkIn} from './checkIn';
import {checkInByToken} from './checkInByToken';
import {getWorker} from './getWorker';
import {listWorkerSamples} from './listWorkerSamples';
import {listWorkers} from './listWorkers';
import {locationsWorkerMessages} from './locationsWorkerMessages';
import {workerMessages} from './workerMessages';
import {getOperation} from './getOperation';
import {listOperations} from './listOperations';
import {runPipeline} from './runPipeline';
import {waitOperation} from './waitOperation';
import {getIamPolicy} from './getIamPolicy';
import {setIamPolicy} from './setIamPolicy';
import {testIamPermissions} from './testIamPermissions';
import {listDeadLetters} from './listDeadLetters';
import {retryDeadLetter} from './retryDeadLetter';

export const RPCS: readonly AnyRpc[] = [
  runPipeline,
  getOperation,
  listOperations,
  cancelOperation,
  waitOperation,
  checkIn,
  checkInByToken,
  workerMessages,
  locationsWorkerMessages,
  getWorker,
  listWorkers,
  listWorkerSamples,
  getIamPolicy,
  setIamPolicy,
  testIamPermissions,
  listDeadLetters,
  retryDeadLetter,
];
