/**
 * Events: their descriptions in the words Google's service used, because clients parse
 * them (dsub matches `^Worker ".*" assigned in ".*"`, `^Started running "user-command"$`,
 * `^Worker released$`, `^Unexpected exit status N while running "NAME"$` and a cancel's
 * `The operation was cancelled` prefix; Cromwell looks for "A resource limit has delayed
 * the operation" in delays), and the keys that drop events a retried check-in repeats.
 * Templates: docs/clients.md, section 4.
 */
import {createHash} from 'crypto';
import {AnyJson, ActionJson, EventType, GENOMICS_TYPE_PREFIX} from '../wire/genomics';
import type {OperationEvent} from './model';

export const CANCELLED_MESSAGE = 'The operation was cancelled';

/**
 * A cancel's FailedEvent cause: Google's words, then who asked when that is an identity
 * (dsub matches the prefix only). A development-mode caller (`loopback:ADDRESS`) is
 * anyone on that machine, so it is not named; cancelledBy still records it.
 */
export function cancelledCause(by: string | undefined): string {
  return by && !by.startsWith('loopback:') ? `${CANCELLED_MESSAGE} by ${by}` : CANCELLED_MESSAGE;
}

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

/**
 * How Google named an action in descriptions: its name, else its command line
 * (entrypoint and commands, space-joined), else its image.
 */
export function actionLabel(actions: readonly ActionJson[], actionId: unknown): string {
  const action = typeof actionId === 'number' ? actions[actionId - 1] : undefined;
  if (!action) return `action ${text(actionId)}`;
  const commandLine = [action.entrypoint ?? '', ...(action.commands ?? [])].filter(part => part !== '').join(' ');
  return action.name || commandLine || action.imageUri;
}

/** The description of an event, from its details and the pipeline's actions. */
export function describeEvent(data: AnyJson, actions: readonly ActionJson[]): string {
  const type = eventTypeName(data) as EventType;
  const name = () => `"${actionLabel(actions, data.actionId)}"`;
  switch (type) {
    case 'WorkerAssignedEvent':
      return `Worker "${text(data.instance)}" assigned in "${text(data.zone) || 'unknown'}" on a "${text(data.machineType) || 'unknown'}" machine`;
    case 'WorkerReleasedEvent':
      return 'Worker released';
    case 'PullStartedEvent':
      return `Started pulling "${text(data.imageUri)}"`;
    case 'PullStoppedEvent':
      return `Stopped pulling "${text(data.imageUri)}"`;
    case 'ContainerStartedEvent':
      return `Started running ${name()}`;
    case 'ContainerStoppedEvent': {
      const tail = typeof data.stderr === 'string' ? data.stderr.trim().slice(-512) : '';
      return `Stopped running ${name()}: exit status ${Number(data.exitStatus ?? 0)}${tail ? `: ${tail}` : ''}`;
    }
    case 'ContainerKilledEvent':
      return `Killed ${name()}`;
    case 'UnexpectedExitStatusEvent':
      return `Unexpected exit status ${Number(data.exitStatus ?? 0)} while running ${name()}`;
    case 'RunStoppedEvent':
      return 'The run was stopped';
    case 'FailedEvent': {
      const cause = text(data.cause) || text(data.code);
      // dsub recognises a cancellation by this prefix.
      return cause.startsWith(CANCELLED_MESSAGE) ? cause : `Execution failed: ${cause}`;
    }
    case 'DelayedEvent':
      return `A resource limit has delayed the operation: ${text(data.cause)}`;
    default:
      return type;
  }
}

/** A v2alpha1 event of `type` with these detail fields, described in Google's words. */
export function genomicsEvent(type: EventType, timestamp: Date, fields: Record<string, unknown>, actions: readonly ActionJson[]): OperationEvent {
  const details: AnyJson = {'@type': `${GENOMICS_TYPE_PREFIX}${type}`, ...fields};
  return {timestamp, description: describeEvent(details, actions), details};
}

/** Whether an event says that the operation was cancelled (dsub names it `canceled`). */
export function saysCancelled(event: Pick<OperationEvent, 'details'>): boolean {
  return eventTypeName(event.details) === 'FailedEvent' && text(event.details.cause).startsWith(CANCELLED_MESSAGE);
}

/** Whether an event tells why an operation failed (what dsub looks for on a failure). */
export function explainsFailure(event: Pick<OperationEvent, 'details'>): boolean {
  const type = eventTypeName(event.details);
  if (type === 'FailedEvent' || type === 'UnexpectedExitStatusEvent') return true;
  return type === 'ContainerStoppedEvent' && Number(event.details.exitStatus ?? 0) !== 0;
}
