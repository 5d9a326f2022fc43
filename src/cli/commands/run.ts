/** `gaffer run FILE`: pipelines.run with a pipeline from a JSON or YAML file. */
import {booleanOption, parseLabels, parseOperationName, stringOption, stringsOption} from '../args';
import {Command, out, positional} from '../command';
import {toJson} from '../format';
import {UsageError} from '../io';
import {applyOverrides, loadRunRequest} from '../pipelineFile';
import {timeoutOption, waitAndReport} from './wait';

export const runCommand: Command = {
  name: 'run',
  summary: 'submit a pipeline (JSON or YAML, a RunPipelineRequest or a Pipeline); prints the operation name',
  usage: 'gaffer run FILE [--label KEY=VALUE]... [--project ID] [--wait [--timeout DURATION]]',
  details: [
    'FILE                 .json, .yaml or .yml; - reads stdin',
    '--label KEY=VALUE    add a label (repeatable; overrides the file\'s)',
    '--project ID         set pipeline.resources.projectId (default: the file\'s)',
    '--wait               then wait until done, and exit as `gaffer wait` does',
    '--timeout DURATION   with --wait: give up after this long',
    '--request-id ID      the request id (default: a new UUID); a retry with the same id runs nothing twice',
  ],
  options: {label: {type: 'string', multiple: true}, wait: {type: 'boolean'}, timeout: {type: 'string'}, 'request-id': {type: 'string'}},
  positionals: ['FILE'],
  async run(ctx) {
    const wait = booleanOption(ctx.values, 'wait');
    const timeoutMs = timeoutOption(ctx);
    if (timeoutMs !== undefined && !wait) throw new UsageError('--timeout needs --wait', ctx.usage);
    const labels = parseLabels(stringsOption(ctx.values, 'label'));
    const request = applyOverrides(await loadRunRequest(positional(ctx, 0), ctx.io), ctx.projectFlag, labels);
    // Retried after a connection reset with the same request id: the pipeline runs once.
    const op = await ctx.client.runPipeline(request, stringOption(ctx.values, 'request-id'));
    if (!wait) {
      out(ctx, ctx.json ? toJson(op) : op.name);
      return 0;
    }
    if (!ctx.json) out(ctx, op.name);
    return waitAndReport(ctx, parseOperationName(op.name, undefined), timeoutMs);
  },
};
