/** Gaffer's IAM and dead-letter shapes on the wire (google.iam.v1 Policy, TestIamPermissionsResponse). */

/** google.iam.v1.Binding (no conditions). */
export interface BindingJson {
  role: string;
  members: string[];
}

/** google.iam.v1.Policy as Gaffer answers it: version 1, bindings omitted when none. */
export interface PolicyJson {
  version: number;
  bindings?: BindingJson[];
  etag: string;
}

export interface TestIamPermissionsResponseJson {
  permissions?: string[];
}

/** A Pub/Sub message Gaffer gave up on, kept for operators. */
export interface DeadLetterJson {
  /** projects/{project}/deadLetters/{eventId} */
  name: string;
  topic: string;
  /** The operation the message is about. */
  operation: string;
  /** The message's attributes (eventId, status, ...) and data (the Operation JSON), as they would have been published. */
  attributes: Record<string, string>;
  data: string;
  createTime: string;
  deadTime: string;
  attempts: number;
  lastError: string;
}

export interface ListDeadLettersResponseJson {
  deadLetters: DeadLetterJson[];
  nextPageToken?: string;
}
