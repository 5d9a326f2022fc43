/** The only code that talks to Pub/Sub: publishing outbox messages, and topic set-up. */
import {PubSub, Topic} from '@google-cloud/pubsub';
import {RpcCode} from '../core/errors';
import type {OutboxMessage} from '../core/notifications';
import type {Publisher} from '../core/ports';

export interface PubSubConnection {
  projectId: string;
  /** host:port of the emulator; undefined for production Pub/Sub. */
  emulatorHost?: string;
}

/** The emulator ignores credentials; without any, the client probes the GCE metadata server. */
const EMULATOR_CREDENTIALS = {client_email: 'emulator@gaffer.invalid', private_key: 'unused'};

export function connectPubSub(connection: PubSubConnection): PubSub {
  return new PubSub({
    projectId: connection.projectId,
    ...(connection.emulatorHost
      ? {apiEndpoint: connection.emulatorHost, emulatorMode: true, credentials: EMULATOR_CREDENTIALS}
      : {}),
  });
}

export class PubSubPublisher implements Publisher {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly pubsub: PubSub) {}

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.pubsub.topic(name, {messageOrdering: true, batching: {maxMessages: 100, maxMilliseconds: 5}});
      this.topics.set(name, topic);
    }
    return topic;
  }

  async publish(message: OutboxMessage): Promise<void> {
    const topic = this.topic(message.topic);
    try {
      await topic.publishMessage({
        data: Buffer.from(message.data, 'utf8'),
        attributes: message.attributes,
        orderingKey: message.orderingKey,
      });
    } catch (err) {
      // A failed ordered publish pauses its key; the outbox retries it later, in order.
      topic.resumePublishing(message.orderingKey);
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.topics.values()].map(t => t.flush().catch(() => undefined)));
    await this.pubsub.close();
  }
}

/** Creates the topic if it does not exist (local set-up; in production, deploy creates it). */
export async function ensureTopic(pubsub: PubSub, name: string): Promise<void> {
  const [exists] = await pubsub.topic(name).exists();
  if (!exists) {
    try {
      await pubsub.createTopic(name);
    } catch (err) {
      if ((err as {code?: unknown}).code !== RpcCode.ALREADY_EXISTS) throw err; // created meanwhile
    }
  }
}
