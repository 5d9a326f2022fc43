/** The worker's view of Gaffer's public API: check-in and worker messages, over HTTP. */
import type {SendWorkerMessagesResponseJson, WorkerMessageJson} from '../wire/dataflow';
import type {CheckInRequestJson, CheckInResponseJson} from '../wire/genomics';
import type {AppendLogsRequestJson} from '../wire/logs';
import type {AppendOutcome} from './logUpload';

/** A google.rpc error answered by Gaffer (or a transport failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The lease is gone (expired, cancelled, given to another): stop work on it. */
  get leaseLost(): boolean {
    return this.status === 409;
  }

  /** Worth retrying: the server was unreachable or busy. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface TokenSource {
  /** An identity token, or undefined in development mode. */
  token(): Promise<string | undefined>;
}

export class GafferWorkerApi {
  constructor(
    private readonly server: string,
    private readonly projectId: string,
    private readonly identity: TokenSource,
  ) {}

  /**
   * `lease`: the fencing token of the operation being reported on (features.lease).
   * `signal` ends the request early (an idle check-in may wait on the server for work).
   */
  checkIn(workerId: string, request: CheckInRequestJson, lease?: string, signal?: AbortSignal): Promise<CheckInResponseJson> {
    const query = lease ? `?lease=${encodeURIComponent(lease)}` : '';
    return this.post(`/v2alpha1/projects/${this.projectId}/workers/${workerId}:checkIn${query}`, request, signal);
  }

  /** Appends what the actions printed, under the lease held; never rejects: says what to do next. */
  async appendLogs(workerId: string, lease: string, request: AppendLogsRequestJson): Promise<AppendOutcome> {
    try {
      await this.post(`/v2alpha1/projects/${this.projectId}/workers/${workerId}:appendLogs?lease=${encodeURIComponent(lease)}`, request);
      return 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.leaseLost) return 'lost';
      if (err instanceof ApiError && !err.transient) return 'refused';
      return 'retry';
    }
  }

  sendMessages(messages: WorkerMessageJson[]): Promise<SendWorkerMessagesResponseJson> {
    return this.post(`/v1b3/projects/${this.projectId}/WorkerMessages`, {workerMessages: messages});
  }

  private async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const token = await this.identity.token();
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', ...(token ? {Authorization: `Bearer ${token}`} : {})},
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([AbortSignal.timeout(60_000), signal]) : AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new ApiError(0, 'UNAVAILABLE', `can't reach Gaffer at ${this.server}: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) {
      const error = (json as {error?: {status?: string; message?: string}}).error;
      throw new ApiError(res.status, error?.status ?? 'UNKNOWN', error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }
}
