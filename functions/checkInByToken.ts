/**
 * workers.checkIn, token form: POST /v2alpha1/workers/{token}:checkIn (the googleapis
 * client's workers.checkIn). The path carries the worker's signed identity token
 * (a GCE instance identity token, a Kubernetes service-account token, ...).
 */
import type {CheckInRequestJson} from '../src/core/checkIn';
import type {Rpc} from '../src/http/rpc';
import {parseLeaseEpoch} from './leaseEpoch';

export const checkInByToken: Rpc<CheckInRequestJson> = {
  name: 'checkInByToken',
  method: 'POST',
  path: '/v2alpha1/workers/{token}:checkIn',
  queryParams: ['leaseEpoch'],
  bodySchema: 'checkInRequest',
  async handle({params, query, body}, app) {
    const worker = await app.workerAuth.byToken(params.token!);
    return app.checkIns.checkIn(worker, body, parseLeaseEpoch(query.leaseEpoch));
  },
};
