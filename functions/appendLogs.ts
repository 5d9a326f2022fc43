/**
 * Gaffer extension, workers: POST /v2alpha1/projects/{project}/workers/{worker}:appendLogs?lease=OPERATION:EPOCH
 * appends what the actions of the operation the worker holds printed. Authenticated as
 * check-in is (a bearer identity token naming this worker), and fenced: only under the
 * lease the worker holds now (features.lease of its check-in).
 */
import {rpc} from '../src/http/rpc';
import {parseLease} from './lease';

export const appendLogs = rpc({
  name: 'appendLogs',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/workers/{worker}:appendLogs',
  queryParams: ['lease'],
  bodySchema: 'appendLogsRequest',
  authorize: ({params, caller}, {workerAuth}) => workerAuth.named(caller, params.project, params.worker),
  handle: ({principal, query, body}, {logs}) => logs.append(principal, parseLease(query.lease), body),
});
