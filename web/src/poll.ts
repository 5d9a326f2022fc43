/**
 * Live data without a reload, kept cheap: one request at a time (the next is scheduled
 * only after the previous answered), nothing while the tab is hidden (one request as
 * soon as it is visible again), a delay the page picks from what it got (or none: stop),
 * and no retrying of answers that retrying cannot change (4xx) until something changes.
 */
import {useCallback, useEffect, useRef, useState} from 'preact/hooks';
import {ApiError} from './api';

export type LoadReason = 'first' | 'poll' | 'refresh';

export interface Polled<T> {
  data?: T;
  error?: unknown;
  /** A first load or a refresh is on its way (background polls do not count). */
  loading: boolean;
  /** When the last answer came (ms since the epoch). */
  updatedAt?: number;
  /** Load now (aborting a request in flight). */
  refresh: () => void;
}

const MAX_BACKOFF_MS = 60_000;

function retryable(err: unknown): boolean {
  return !(err instanceof ApiError) || err.httpStatus === 0 || err.httpStatus === 429 || err.httpStatus >= 500;
}

/**
 * `load` runs when `deps` change and then again after `nextDelay(data)` ms (undefined:
 * not again). A failure keeps the last data and retries with backoff when retrying can help.
 */
export function usePoll<T>(
  load: (signal: AbortSignal, reason: LoadReason) => Promise<T>,
  deps: readonly unknown[],
  nextDelay: (data: T) => number | undefined,
): Polled<T> {
  const [state, setState] = useState<{data?: T; error?: unknown; loading: boolean; updatedAt?: number}>({loading: true});
  const latest = useRef({load, nextDelay});
  latest.current = {load, nextDelay};
  const control = useRef<{run(reason: LoadReason): void} | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let inFlight: AbortController | undefined;
    let failures = 0;
    let pendingWhileHidden = false;
    setState({loading: true});

    const schedule = (delay: number | undefined) => {
      if (stopped || delay === undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        if (document.hidden) pendingWhileHidden = true;
        else run('poll');
      }, delay);
    };

    const run = (reason: LoadReason) => {
      if (stopped) return;
      if (timer !== undefined) window.clearTimeout(timer);
      timer = undefined;
      inFlight?.abort();
      const abort = new AbortController();
      inFlight = abort;
      // A poll in the background is not "loading": the page shows what it has.
      if (reason !== 'poll') setState(s => ({...s, loading: true}));
      latest.current.load(abort.signal, reason).then(
        data => {
          if (abort.signal.aborted || stopped) return;
          failures = 0;
          setState({data, loading: false, updatedAt: Date.now()});
          schedule(latest.current.nextDelay(data));
        },
        (error: unknown) => {
          if (abort.signal.aborted || stopped) return;
          failures++;
          setState(s => ({...s, error, loading: false}));
          if (retryable(error)) schedule(Math.min(MAX_BACKOFF_MS, 2000 * 2 ** (failures - 1)));
        },
      );
    };

    const onVisibility = () => {
      if (!document.hidden && pendingWhileHidden) {
        pendingWhileHidden = false;
        run('poll');
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    control.current = {run};
    run('first');
    return () => {
      stopped = true;
      if (timer !== undefined) window.clearTimeout(timer);
      inFlight?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, deps);

  const refresh = useCallback(() => control.current?.run('refresh'), []);
  return {...state, refresh};
}
