/**
 * workers.checkIn, named form: POST /v2alpha1/projects/{project}/workers/{worker}:checkIn
 * (the googleapis client's projects.workers.checkIn). The worker proves who it is with
 * "Authorization: Bearer <identity token>".
 */
import {rpc} from '../src/http/rpc';
import {presentedLease} from './lease';

export const checkIn = rpc({
  name: 'checkIn',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/workers/{worker}:checkIn',
  queryParams: ['lease'],
  bodySchema: 'checkInRequest',
  authorize: ({params, caller}, {workerAuth}) => workerAuth.named(caller, params.project, params.worker),
  handle: ({principal, query, body, age, signal}, {checkIns}) => checkIns.checkIn(principal, body, presentedLease(query.lease, body.lease), {ageMs: age(), signal}),
});
