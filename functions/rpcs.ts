/** Every RPC Gaffer serves; the local server mounts all of them. */
import type {AnyRpc} from '../src/http/rpc';
import {appendLogs} from './appendLogs';
import {cancelOperation} from './cancelOperation';
import {checkIn} from './checkIn';
import {checkInByToken} from './checkInByToken';
import {getQueueStats} from './getQueueStats';
import {getWorker} from './getWorker';
import {listWorkerSamples} from './listWorkerSamples';
import {listLogs} from './listLogs';
import {listWorkers} from './listWorkers';
import {locationsWorkerMessages} from './locationsWorkerMessages';
import {workerMessages} from './workerMessages';
import {getOperation} from './getOperation';
import {listOperations} from './listOperations';
import {runPipeline} from './runPipeline';
import {waitOperation} from './waitOperation';
import {cancelOperationV2beta} from './cancelOperationV2beta';
import {getLocation} from './getLocation';
import {getOperationV2beta} from './getOperationV2beta';
import {listLocations} from './listLocations';
import {listOperationsV2beta} from './listOperationsV2beta';
import {runPipelineV2beta} from './runPipelineV2beta';
import {waitOperationV2beta} from './waitOperationV2beta';
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
  getQueueStats,
  appendLogs,
  listLogs,
  // Cloud Life Sciences v2beta, from the same operations.
  runPipelineV2beta,
  getOperationV2beta,
  listOperationsV2beta,
  cancelOperationV2beta,
  waitOperationV2beta,
  listLocations,
  getLocation,
  getIamPolicy,
  setIamPolicy,
  testIamPermissions,
  listDeadLetters,
  retryDeadLetter,
];
