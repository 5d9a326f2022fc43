/** The core services an RPC handler may call: what handlers get instead of the whole app. */
import type {DelayExplainer} from '../core/delays';
import type {AccessPolicy} from '../core/access';
import type {CheckInService} from '../core/checkIn';
import type {DeadLettersService} from '../core/deadLetters';
import type {IamService} from '../core/iam';
import type {LeaseSweeper} from '../core/leaseSweep';
import type {LogsService} from '../core/logs';
import type {LocationsService} from '../core/locations';
import type {OperationsService} from '../core/operations';
import type {OutboxDispatcher} from '../core/outboxDispatcher';
import type {QueueStatsService} from '../core/queueStats';
import type {WorkerAuthenticator} from '../core/workerAccess';
import type {WorkerMessagesService} from '../core/workerMessages';
import type {WorkersService} from '../core/workers';

export interface Services {
  operations: OperationsService;
  checkIns: CheckInService;
  leases: LeaseSweeper;
  /** DelayedEvents for operations no live worker can take (run beside the lease sweep). */
  delays: DelayExplainer;
  workers: WorkersService;
  locations: LocationsService;
  queueStats: QueueStatsService;
  workerMessages: WorkerMessagesService;
  /** What actions printed (appended by workers, read by anyone who may read the operation). */
  logs: LogsService;
  /** Undefined when no Pub/Sub is configured (messages wait in the outbox). */
  outbox?: OutboxDispatcher;
  /** Pub/Sub messages given up on. */
  deadLetters: DeadLettersService;
  /** Projects' IAM policies (getIamPolicy, setIamPolicy, testIamPermissions). */
  iam: IamService;
  /** Who is calling, and whether they may: every RPC but the workers' asks this. */
  access: AccessPolicy;
  workerAuth: WorkerAuthenticator;
}
