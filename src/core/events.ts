/** Events a worker reports: their descriptions, in the words clients parse, and their dedup keys. */
import {createHash} from 'crypto';
import {AnyJson, EventType, GENOMICS_TYPE_PREFIX} from '../wire/genomics';

/** A key per reported event, so a retried check-in adds no duplicates. */
export function eventKey(timestamp: string, data: AnyJson): string {
  return createHash('sha256').update(JSON.stringify([timestamp, data])).digest('base64url').slice(0, 16);
}

/** The short type name ("ContainerStartedEvent") of an event's details. */
export function eventTypeName(data: AnyJson): string {
  const type = data['@type'];
  return type.startsWith(GENOMICS_TYPE_PREFIX) ? type.slice(GENOMICS_TYPE_PREFIX.length) : type.slice(type.lastIndexOf('.') + 1);
}

/** A field of an event's details as text (details are JSON: strings, numbers, objects). */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Descriptions in the words Google's service used for each event type. */
export function describeEvent(data: AnyJson): string {
  const type = eventTypeName(data) as EventType;
  const action = `action ${text(data.actionId)}`;
  switch (type) {
    case 'WorkerAssignedEvent':
      return `Worker "${text(data.instance)}" assigned`;
    case 'WorkerReleasedEvent':
      return `Worker "${text(data.instance)}" released`;
    case 'PullStartedEvent':
      return `Started pulling "${text(data.imageUri)}"`;
    case 'PullStoppedEvent':
      return `Stopped pulling "${text(data.imageUri)}"`;
    case 'ContainerStartedEvent':
      return `Started running ${action}`;
    case 'ContainerStoppedEvent': {
      const tail = typeof data.stderr === 'string' ? data.stderr.trim().slice(-512) : '';
      const stderr = tail ? `: ${tail}` : '';
      return `Stopped running ${action}: exit status ${Number(data.exitStatus ?? 0)}${stderr}`;
    }
    case 'ContainerKilledEvent':
      return `Killed ${action}`;
    case 'UnexpectedExitStatusEvent':
      return `Unexpected exit status ${Number(data.exitStatus ?? 0)} while running ${action}`;
    case 'RunStoppedEvent':
      return 'The run was stopped';
    case 'FailedEvent':
      return `Execution failed: ${text(data.cause ?? data.code)}`;
    case 'DelayedEvent':
      return `Delayed: ${text(data.cause)}`;
    default:
      return type;
  }
}
