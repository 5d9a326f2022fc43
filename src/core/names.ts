/** Resource-name parts that arrive in URL paths, tokens and labels, checked before anything uses them. */
import {GafferError, invalidArgument} from './errors';

/** A Google Cloud project id, or the legacy domain-scoped form "example.com:my-project". */
export const PROJECT_ID = /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** Operation ids Gaffer issues are decimal; accept any id-like segment, refuse the rest. */
export const OPERATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Worker ids: what a path can carry and Firestore can key. */
export const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const WORKER_ID_RULE = 'a worker id of 1-128 letters, digits, ".", "_" or "-" (starting with a letter or digit)';

export function checkProjectId(value: string, field = 'name'): string {
  if (!PROJECT_ID.test(value)) {
    throw invalidArgument(field, 'a name whose project is a valid project id (6-30 lowercase letters, digits and hyphens)', value, 'INVALID_RESOURCE_NAME');
  }
  return value;
}

export function checkOperationId(value: string, field = 'name'): string {
  if (!OPERATION_ID.test(value)) {
    throw invalidArgument(field, 'projects/{project}/operations/{operation} with an operation id of letters, digits, "_" or "-"', value, 'INVALID_RESOURCE_NAME');
  }
  return value;
}

export function checkWorkerId(workerId: string): string {
  if (!WORKER_ID.test(workerId)) {
    throw new GafferError(
      'INVALID_ARGUMENT',
      `name must be projects/{project}/workers/{worker} with ${WORKER_ID_RULE}, but was: ${JSON.stringify(workerId)}`,
      {reason: 'INVALID_RESOURCE_NAME', fieldViolations: [{field: 'name', description: 'invalid worker id'}]},
    );
  }
  return workerId;
}

export function operationName(projectId: string, id: string): string {
  return `projects/${projectId}/operations/${id}`;
}

export function workerName(projectId: string, workerId: string): string {
  return `projects/${projectId}/workers/${workerId}`;
}

/** A v2beta location: a region's form ("us-central1"), "global", or "-" (every location, AIP-159). */
export const LOCATION_ID = /^(?:-|[a-z][a-z0-9-]{0,62})$/;

export function checkLocationId(value: string): string {
  if (!LOCATION_ID.test(value)) {
    throw invalidArgument('name', 'projects/{project}/locations/{location} with a location such as us-central1', value, 'INVALID_RESOURCE_NAME');
  }
  return value;
}

/** A Google Cloud location (a region such as us-central1). */
export const LOCATION = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export function checkLocation(value: string, field = 'location'): string {
  if (value.length > 63 || !LOCATION.test(value)) {
    throw invalidArgument(field, 'a location such as us-central1 (lowercase letters, digits and hyphens)', value, 'INVALID_RESOURCE_NAME');
  }
  return value;
}
