/** Shared by the RPCs whose body may repeat the resource name of the path. */
import {invalidArgument} from '../src/core/errors';
import {operationName} from '../src/core/names';

export function checkNameMatchesPath(name: string | undefined, projectId: string, id: string): void {
  const expected = operationName(projectId, id);
  if (name !== undefined && name !== expected) {
    throw invalidArgument('name', `the operation name of the path (${expected})`, name);
  }
}
