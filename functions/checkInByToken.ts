/**
 * workers.checkIn, token form: POST /v2alpha1/workers/{token}:checkIn (the googleapis
 * client's workers.checkIn). The path carries the worker's signed identity token
 * (a GCE instance identity token, a Kubernetes service-account token, ...).
 */
import {rpc} from '../src/http/rpc';
import {presentedLease} from './lease';

export const checkInByToken = rpc({
  name: 'checkInByToken',
  method: 'POST',
  path: '/v2alpha1/workers/{token}:checkIn',
  queryParams: ['lease'],
  bodySchema: 'checkInRequest',
  authorize: ({params}, {workerAuth}) => workerAuth.byToken(params.token),
  handle: ({principal, query, body, age, signal}, {checkIns}) => checkIns.checkIn(principal, body, presentedLease(query.lease, body.lease), {ageMs: age(), signal}),
});
