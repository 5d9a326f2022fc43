/** pipelines.run: POST /v2alpha1/pipelines:run */
import type {RunPipelineRequestJson} from '../src/core/model';
import type {Rpc} from '../src/http/rpc';

export const runPipeline: Rpc<RunPipelineRequestJson> = {
  name: 'runPipeline',
  method: 'POST',
  path: '/v2alpha1/pipelines:run',
  bodySchema: 'runPipelineRequest',
  async handle({body, caller}, app) {
    await app.access.check(caller, 'genomics.operations.create', body.pipeline.resources.projectId);
    return app.operations.run(body);
  },
};
