/**
 * workers.checkIn, named form: POST /v2alpha1/projects/{project}/workers/{worker}:checkIn
 * (the googleapis client's projects.workers.checkIn). The worker proves who it is with
 * "Authorization: Bearer <identity token>".
 */
import type {CheckInRequestJson, WorkerRef} from '../src/core/checkIn';
import type {Rpc} from '../src/http/rpc';
import {parseLease} from './lease';

export const checkIn: Rpc<CheckInRequestJson, WorkerRef> = {
  name: 'checkIn',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/workers/{worker}:checkIn',
  queryParams: ['lease'],
  bodySchema: 'checkInRequest',
  authorize: ({params, caller}, app) => app.workerAuth.named(caller, params.project!, params.worker!),
  handle: ({principal, query, body}, app) => app.checkIns.checkIn(principal, body, parseLease(query.lease)),
};
