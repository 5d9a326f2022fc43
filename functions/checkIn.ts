/**
 * workers.checkIn, named form: POST /v2alpha1/projects/{project}/workers/{worker}:checkIn
 * (the googleapis client's projects.workers.checkIn). The worker proves who it is with
 * "Authorization: Bearer <identity token>".
 */
import type {CheckInRequestJson} from '../src/core/checkIn';
import type {Rpc} from '../src/http/rpc';
import {parseLeaseEpoch} from './leaseEpoch';

export const checkIn: Rpc<CheckInRequestJson> = {
  name: 'checkIn',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/workers/{worker}:checkIn',
  queryParams: ['leaseEpoch'],
  bodySchema: 'checkInRequest',
  async handle({params, query, body, caller}, app) {
    const worker = await app.workerAuth.named(caller, params.project!, params.worker!);
    return app.checkIns.checkIn(worker, body, parseLeaseEpoch(query.leaseEpoch));
  },
};
