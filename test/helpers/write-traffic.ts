// Background write traffic for failure tests: every acknowledged write is remembered, so the
// test can read all of them back afterwards ("no acknowledged write is lost").
import type { Redis } from 'ioredis';

export interface TrafficError {
  /** The failed command's place in start order (see Traffic.started), so a test can tell what was sent after a moment. */
  startedAs: number;
  message: string;
}

export interface TrafficReport {
  acknowledged: Map<string, string>;
  /** When each acknowledged write was sent (Date.now() before the command left the client). */
  sentAt: Map<string, number>;
  errors: TrafficError[];
  operations: number;
}

export interface Traffic {
  stop(): Promise<TrafficReport>;
  /** Operations completed so far (to wait for progress). */
  readonly operations: number;
  /** Operations started so far: the next command sent gets this number plus one. */
  readonly started: number;
  readonly errorCount: number;
  /** A copy of the writes acknowledged so far. */
  acknowledgedSoFar(): Map<string, string>;
}

/** `workers` loops, each SETting fresh keys `prefix:<worker>:<n>` one at a time, until stopped. */
export function startWriteTraffic(client: Redis, prefix: string, workers = 4): Traffic {
  const acknowledged = new Map<string, string>();
  const sentAt = new Map<string, number>();
  const errors: TrafficError[] = [];
  let operations = 0;
  let started = 0;
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const key = `${prefix}:${worker}:${n}`;
      const value = `${worker}-${n}`;
      const startedAs = ++started;
      const sentTime = Date.now();
      try {
        if ((await client.set(key, value)) === 'OK') {
          acknowledged.set(key, value);
          sentAt.set(key, sentTime);
        }
      } catch (err) {
        errors.push({ startedAs, message: (err as Error).message });
        // Do not spin on a shard that is down; this only paces the loop, nothing is timed by it.
        await new Promise((r) => setTimeout(r, 20));
      }
      operations++;
    }
  });
  return {
    get operations() {
      return operations;
    },
    get started() {
      return started;
    },
    get errorCount() {
      return errors.length;
    },
    acknowledgedSoFar: () => new Map(acknowledged),
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acknowledged, sentAt, errors, operations };
    },
  };
}

/** Reads every acknowledged key back through `client` (pipelined) and returns the ones that differ. */
export async function findLostWrites(client: Redis, acknowledged: Map<string, string>): Promise<string[]> {
  const keys = [...acknowledged.keys()];
  const lost: string[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const pipeline = client.pipeline();
    for (const key of batch) pipeline.get(key);
    const results = (await pipeline.exec())!;
    results.forEach(([err, value], j) => {
      if (err || value !== acknowledged.get(batch[j]!)) lost.push(batch[j]!);
    });
  }
  return lost;
}
