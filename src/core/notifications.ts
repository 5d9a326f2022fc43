/**
 * What Pub/Sub must hear of an operation's change, decided here and written by the
 * store in the same commit as the change itself (a transactional outbox): every
 * completion goes to the completion topic, and a RunPipelineRequest's pubSubTopic gets
 * every status change, as the v2alpha1 docs describe.
 */
import {createHash} from 'crypto';
import {OperationRecord, errorCodeOf, isDone} from './model';
import {operationName} from './names';
import {operationToOwnJson} from './operationJson';

export interface OutboxMessage {
  /** Stable per (operation, change, topic): the message's `eventId`, and the outbox key. */
  id: string;
  /** Full topic name: projects/{project}/topics/{topic}. */
  topic: string;
  /** The operation's name: a subscriber sees one operation's messages in order. */
  orderingKey: string;
  /**
   * Delivery queue: one per (topic, operation). Messages of a queue go out in sequence;
   * a failing topic holds up only its own queues.
   */
  queue: string;
  /** Position among the operation's messages (grows with every change). */
  sequence: number;
  /** The Operation JSON, as operations.get returns it (with its newest 50 events). */
  data: string;
  attributes: Record<string, string>;
}

export interface NotificationPolicy {
  /** Full name of the topic every completion is published to. */
  completionTopic: string;
}

export function eventIdOf(name: string, sequence: number, topic: string): string {
  return createHash('sha256').update(`${name}\u0000${sequence}\u0000${topic}`).digest('hex').slice(0, 32);
}

/** The messages a change from `before` to `after` owes (none if the status did not change). */
export function notificationsFor(
  before: OperationRecord,
  after: OperationRecord,
  policy: NotificationPolicy,
): OutboxMessage[] {
  if (before.state === after.state) return [];
  const topics: string[] = [];
  if (after.request.pubSubTopic) topics.push(after.request.pubSubTopic);
  if (isDone(after.state) && !topics.includes(policy.completionTopic)) topics.push(policy.completionTopic);
  const name = operationName(after.projectId, after.id);
  // eventCount grows with every status change (each one appends an event).
  const sequence = after.eventCount;
  const data = JSON.stringify(operationToOwnJson(after));
  const errorCode = errorCodeOf(after);
  return topics.map(topic => {
    const id = eventIdOf(name, sequence, topic);
    return {
      id,
      topic,
      orderingKey: name,
      queue: `${topic} ${name}`,
      sequence,
      data,
      attributes: {
        eventId: id,
        operation: name,
        project: after.projectId,
        done: String(isDone(after.state)),
        status: after.state,
        errorCode: errorCode === undefined ? '' : String(errorCode),
      },
    };
  });
}
