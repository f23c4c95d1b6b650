// Background write traffic for failure tests: every acknowledged write is remembered, so the
// test can read all of them back afterwards ("no acknowledged write is lost").
import type { Redis } from 'ioredis';

export interface TrafficReport {
  acknowledged: Map<string, string>;
  /** When each acknowledged write was acknowledged (Date.now()). */
  acknowledgedAt: Map<string, number>;
  errors: { at: number; message: string }[];
  operations: number;
}

export interface Traffic {
  stop(): Promise<TrafficReport>;
  /** Operations completed so far (to wait for progress). */
  readonly operations: number;
  readonly errorCount: number;
}

/** `workers` loops, each SETting fresh keys `prefix:<worker>:<n>` one at a time, until stopped. */
export function startWriteTraffic(client: Redis, prefix: string, workers = 4): Traffic {
  const acknowledged = new Map<string, string>();
  const acknowledgedAt = new Map<string, number>();
  const errors: { at: number; message: string }[] = [];
  let operations = 0;
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const key = `${prefix}:${worker}:${n}`;
      const value = `${worker}-${n}`;
      try {
        if ((await client.set(key, value)) === 'OK') {
          acknowledged.set(key, value);
          acknowledgedAt.set(key, Date.now());
        }
      } catch (err) {
        errors.push({ at: Date.now(), message: (err as Error).message });
        await new Promise((r) => setTimeout(r, 20));
      }
      operations++;
    }
  });
  return {
    get operations() {
      return operations;
    },
    get errorCount() {
      return errors.length;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acknowledged, acknowledgedAt, errors, operations };
    },
  };
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
