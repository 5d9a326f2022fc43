/** pipelines.run: POST /v2alpha1/pipelines:run */
import {rpc} from '../src/http/rpc';

export const runPipeline = rpc({
  name: 'runPipeline',
  method: 'POST',
  path: '/v2alpha1/pipelines:run',
  bodySchema: 'runPipelineRequest',
  async handle({body, caller}, {access, operations}) {
    // The project is in the body: authorized once the body is valid.
    await access.check(caller, 'genomics.operations.create', body.pipeline.resources.projectId);
    return operations.run(body);
  },
});
