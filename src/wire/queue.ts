/** The queue's depth over time on the wire (Gaffer's GET /v2alpha1/projects/{project}/queueStats). */

/** How many of a project's operations were queued and running at `time`. */
export interface QueuePointJson {
  /** RFC 3339. */
  time: string;
  queued: number;
  running: number;
}

export interface QueueStatsResponseJson {
  /** Oldest first; the last point is counted when the request is answered. */
  points: QueuePointJson[];
  /** How often points are recorded (a gap longer than this is a time nothing was recorded). */
  interval: string;
}
