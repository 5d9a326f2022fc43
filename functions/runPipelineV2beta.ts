/**
 * Cloud Life Sciences projects.locations.pipelines.run:
 * POST /v2beta/projects/{project}/locations/{location}/pipelines:run. The request is
 * translated to the v2alpha1 pipeline it means (src/core/lifesciences.ts); the operation
 * is filed under the path's location and answered in v2beta's shape.
 */
import {fromV2betaRequest} from '../src/core/lifesciences';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {locationView} from './v2betaPaths';

export const runPipelineV2beta = rpc({
  name: 'runPipelineV2beta',
  method: 'POST',
  path: '/v2beta/projects/{project}/locations/{location}/pipelines:run',
  bodySchema: 'lifesciencesRunPipelineRequest',
  authorize: onPathProject('genomics.operations.create'),
  handle: ({params, body, principal}, {operations}) => {
    const view = locationView(params.location);
    const placement = {location: params.location, apiVersion: 'v2beta'} as const;
    return operations.run(fromV2betaRequest(body, params.project), {submitter: principal.member, placement}, view);
  },
});
