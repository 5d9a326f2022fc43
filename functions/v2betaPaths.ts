/** What the v2beta (Cloud Life Sciences) RPCs share: where a location's operations are, read in v2beta's shape. */
import {checkLocationId, checkOperationId} from '../src/core/names';
import {OperationView, v2betaView} from '../src/core/operationJson';
import type {V2betaOperationJson} from '../src/wire/lifesciences';

export const V2BETA_OPERATION = '/v2beta/projects/{project}/locations/{location}/operations/{operation}';

/** The v2beta view of the path's location, checked. */
export function locationView(location: string): OperationView<V2betaOperationJson> {
  return v2betaView(checkLocationId(location));
}

/** The path's operation id, checked. */
export function operationIdOf(params: {readonly operation: string}): string {
  return checkOperationId(params.operation);
}
