/** `gaffer describe NAME`: one operation's summary, its actions and its events, oldest first. */
import {parseOperationName} from '../args';
import {Command, out, positional, printLines} from '../command';
import {describeRpcError, formatLabels, formatTime, operationStatus, shellJoin, toJson} from '../format';
import type {OperationJson} from '../../wire/genomics';

export const describeCommand: Command = {
  name: 'describe',
  summary: 'show an operation: status, times, labels, outcome, actions and its events',
  usage: 'gaffer describe NAME',
  details: [],
  options: {},
  positionals: ['NAME'],
  async run(ctx) {
    const op = await ctx.client.getOperation(parseOperationName(positional(ctx, 0), ctx.project));
    if (ctx.json) out(ctx, toJson(op));
    else printLines(ctx.io.stdout, describeOperation(op));
    return 0;
  },
};

export function describeOperation(op: OperationJson): string[] {
  return [...summaryLines(op), '', 'Actions:', ...actionLines(op), '', 'Events (oldest first):', ...eventLines(op)];
}

function summaryLines(op: OperationJson): string[] {
  const metadata = op.metadata;
  const lines = [
    `Name:     ${op.name}`,
    `Status:   ${operationStatus(op)}`,
    `Created:  ${formatTime(metadata?.createTime)}`,
    `Started:  ${formatTime(metadata?.startTime)}`,
    `Ended:    ${formatTime(metadata?.endTime)}`,
    `Labels:   ${formatLabels(metadata?.labels)}`,
    `By:       ${metadata?.submitter ?? '-'}`,
  ];
  if (metadata?.cancelledBy) lines.push(`Cancelled by: ${metadata.cancelledBy}`);
  const waiting = op.done ? undefined : waitingReason(op);
  if (waiting) lines.push(`Waiting:  ${waiting}`);
  if (op.error) lines.push(`Error:    ${describeRpcError(op.error)}`);
  else if (op.done) lines.push('Result:   succeeded');
  return lines;
}

interface ActionView {
  name?: string;
  imageUri?: string;
  commands?: string[];
  entrypoint?: string;
  flags?: string[];
  timeout?: string;
}

function actionLines(op: OperationJson): string[] {
  const actions = (op.metadata?.pipeline?.actions ?? []) as ActionView[];
  if (actions.length === 0) return ['  (none)'];
  return actions.map((action, i) => {
    const command = [...(action.entrypoint ? [action.entrypoint] : []), ...(action.commands ?? [])];
    const extras = [
      action.name ? `name=${action.name}` : '',
      ...(action.flags ?? []),
      action.timeout ? `timeout=${action.timeout}` : '',
    ].filter(Boolean);
    const suffix = extras.length > 0 ? `  [${extras.join(', ')}]` : '';
    return `  ${i + 1}. ${action.imageUri ?? '?'}${command.length > 0 ? `: ${shellJoin(command)}` : ''}${suffix}`;
  });
}

const DELAYED = 'type.googleapis.com/google.genomics.v2alpha1.DelayedEvent';
const ASSIGNED = 'type.googleapis.com/google.genomics.v2alpha1.WorkerAssignedEvent';

/** What a DelayedEvent's metrics (the requirements no worker meets) add to its description. */
function metricsOf(details: Record<string, unknown>): string {
  const metrics = Array.isArray(details.metrics) ? details.metrics.map(String) : [];
  return metrics.length > 0 ? ` (lacking: ${metrics.join(', ')})` : '';
}

/** Why a queued operation waits: its newest DelayedEvent, unless a worker took it since. */
function waitingReason(op: OperationJson): string | undefined {
  for (const event of op.metadata?.events ?? []) {
    const type = event.details['@type'];
    if (type === ASSIGNED) return undefined;
    if (type === DELAYED) return `${String(event.details.cause)}${metricsOf(event.details)}`;
  }
  return undefined;
}

function eventLines(op: OperationJson): string[] {
  const events = [...(op.metadata?.events ?? [])].reverse();
  if (events.length === 0) return ['  (none yet)'];
  return events.map(event => {
    const metrics = event.details['@type'] === DELAYED ? metricsOf(event.details) : '';
    return `  ${formatTime(event.timestamp)}  ${event.description}${metrics}`;
  });
}
