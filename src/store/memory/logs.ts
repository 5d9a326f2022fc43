/**
 * The LogStore port in memory: what actions printed, per operation, with the same
 * transaction semantics as Firestore's (the operation is read, `admit` decides, then
 * everything the plan says is applied, or nothing), the same order and the same limits.
 */
import type {LogAppendPlan, LogCursor, LogState, StoredLogChunk} from '../../core/logs';
import type {OperationRecord} from '../../core/model';
import type {LogPage, LogStore} from '../../core/ports';

interface OperationLogs {
  state?: LogState;
  chunks: Map<string, StoredLogChunk>;
  expireTime?: Date;
}

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryLogStore implements LogStore {
  private readonly byOperation = new Map<string, OperationLogs>();

  constructor(
    /** The operation as stored now (the fence reads it inside the "transaction"). */
    private readonly operation: (projectId: string, operationId: string) => OperationRecord | undefined,
    private readonly count: {read(documents: number): void; wrote(documents: number): void},
  ) {}

  async append(
    projectId: string,
    operationId: string,
    admit: (op: OperationRecord | undefined) => void,
    plan: (state: LogState | undefined) => LogAppendPlan | undefined,
    expireTime: Date,
  ): Promise<void> {
    await tick();
    // Nothing awaits between the reads and the writes: atomic, like the transaction.
    this.count.read(2);
    admit(this.operation(projectId, operationId));
    const key = `${projectId}/${operationId}`;
    const logs = this.byOperation.get(key) ?? {chunks: new Map<string, StoredLogChunk>()};
    const decided = plan(logs.state && copy(logs.state));
    if (!decided) return;
    for (const chunk of decided.create) logs.chunks.set(`${chunk.actionId}-${chunk.seq}`, copy(chunk));
    for (const {actionId, seq} of decided.evict) logs.chunks.delete(`${actionId}-${seq}`);
    logs.state = copy(decided.state);
    logs.expireTime = expireTime;
    this.byOperation.set(key, logs);
    this.count.wrote(decided.create.length + decided.evict.length + 1);
  }

  async read(projectId: string, operationId: string, actionId: number | undefined, after: LogCursor | undefined, limit: number): Promise<LogPage> {
    await tick();
    const logs = this.byOperation.get(`${projectId}/${operationId}`);
    const chunks = [...(logs?.chunks.values() ?? [])]
      .filter(c => actionId === undefined || c.actionId === actionId)
      .sort((a, b) => a.actionId - b.actionId || a.seq - b.seq)
      .filter(c => !after || c.actionId > after[0] || (c.actionId === after[0] && c.seq > after[1]))
      .slice(0, limit);
    this.count.read(chunks.length + 1);
    return {chunks: copy(chunks), ...(logs?.state ? {state: copy(logs.state)} : {})};
  }
}

function tick(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
