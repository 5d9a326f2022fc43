/**
 * Dead letters: Pub/Sub messages the outbox gave up on after retrying them for
 * GAFFER_OUTBOX_MAX_RETRY, kept per project with their last error. Operators list them
 * and, once the topic is fixed, send them back to the outbox.
 */
import type {DeadLetterJson, ListDeadLettersResponseJson} from '../wire/iam';
import {notFound} from './errors';
import type {ListRequest} from './operations';
import type {OutboxDispatcher} from './outboxDispatcher';
import {PageTokens, Position, effectivePageSize} from './pageToken';
import type {Clock, DeadLetter, DeadLetterStore} from './ports';

export interface DeadLettersDeps {
  deadLetters: DeadLetterStore;
  pageTokens: PageTokens;
  clock: Clock;
  /** Delivers a retried message at once (undefined: the outbox sweep will). */
  outbox?: OutboxDispatcher;
}

function isPosition(position: Position): position is [number, string] {
  return position.length === 2 && typeof position[0] === 'number' && typeof position[1] === 'string';
}

export function deadLetterName(projectId: string, id: string): string {
  return `projects/${projectId}/deadLetters/${id}`;
}

export function deadLetterToJson(letter: DeadLetter): DeadLetterJson {
  return {
    name: deadLetterName(letter.projectId, letter.id),
    topic: letter.topic,
    operation: letter.orderingKey,
    attributes: letter.attributes,
    data: letter.data,
    createTime: letter.createTime.toISOString(),
    deadTime: letter.deadTime.toISOString(),
    attempts: letter.attempts,
    lastError: letter.lastError,
  };
}

export class DeadLettersService {
  constructor(private readonly deps: DeadLettersDeps) {}

  async list(projectId: string, request: Omit<ListRequest, 'filter'>): Promise<ListDeadLettersResponseJson> {
    const pageSize = effectivePageSize(request.pageSize);
    const listing = ['deadLetters', projectId];
    const after = request.pageToken ? await this.deps.pageTokens.decode(listing, request.pageToken, isPosition) : undefined;
    const page = await this.deps.deadLetters.list(projectId, pageSize, after ? {deadTimeMicros: after[0], id: after[1]} : undefined);
    const response: ListDeadLettersResponseJson = {deadLetters: page.deadLetters.map(deadLetterToJson)};
    if (page.next) response.nextPageToken = await this.deps.pageTokens.encode(listing, [page.next.deadTimeMicros, page.next.id]);
    return response;
  }

  /** Sends a dead letter back to the outbox, due now; answers it as it was. */
  async retry(projectId: string, id: string): Promise<DeadLetterJson> {
    const letter = await this.deps.deadLetters.retry(projectId, id, this.deps.clock.now());
    if (!letter) throw notFound('Dead letter', deadLetterName(projectId, id), 'DEAD_LETTER_NOT_FOUND');
    this.deps.outbox?.kick([letter]);
    return deadLetterToJson(letter);
  }
}
