/**
 * The one compare-and-set retry loop: run an attempt (read, decide, commit); when its
 * commit lost a race (Conflict), back off with jitter on the injected clock and try
 * again from the read. Every optimistic change in the core goes through here.
 */
import {Conflict} from './ports';
import type {Clock} from './ports';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the second attempt; doubles per attempt up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {attempts: 16, firstDelayMs: 4, maxDelayMs: 250};

/**
 * Runs `attempt` until it completes without a Conflict. After `policy.attempts`
 * conflicts, returns what `exhausted` gives (or throws what it throws).
 */
export async function retryOnConflict<T>(
  clock: Clock,
  attempt: () => Promise<T>,
  exhausted: () => T | Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let n = 0; n < policy.attempts; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
    }
    if (n + 1 < policy.attempts) await clock.sleep(backoffMs(policy, n));
  }
  return exhausted();
}

/** "Full jitter": uniform in [0, min(max, first * 2^n)], so racing writers spread out. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt, 20));
  return Math.random() * ceiling;
}
