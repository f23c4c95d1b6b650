// Differential command fuzzing: random commands from the command table (random arities, keys over
// many slots and in hash-tagged groups, binary/empty/extreme values, option words) go to slotgate and
// to one standalone redis-server, and the replies must agree: reply type, error prefix, and the value
// where Redis's output is deterministic. The allowed differences (CROSSSLOT, documented refusals, KEYS
// order, SCAN cursors, nondeterministic output per Redis's command tips, times) are rules in
// test/helpers/fuzz/reply-compare.ts; the commands not generated are listed, with reasons, in EXCLUDED
// (test/helpers/fuzz/command-generator.ts). After every write the keys it named are compared between
// the standalone server and the cluster (read directly, not through slotgate), and so is every pool key
// at the end: a write that Redis refuses must leave no trace. slotgate runs as its own process
// (dist/src/main.js, so build first: `npx tsc -p tsconfig.json`): a crash shows up as a crash.
//
// CI runs a fixed seed and a bounded count. Longer runs, and replays of a failure (its message prints
// the seed):
//   FUZZ_SEED=12345 FUZZ_COUNT=50000 FUZZ_PIPELINE_COUNT=5000 npx vitest run test/integration/command-fuzz.test.ts
// FUZZ_SEED picks the sequence (default 20250607), FUZZ_COUNT the commands sent one at a time
// (default 3000), FUZZ_PIPELINE_COUNT the commands of the pipelined batch (default 800).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { connectClusterClient, sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { useStandaloneRedis } from '../helpers/standalone-redis.js';
import { Random } from '../helpers/fuzz/random.js';
import { CommandGenerator, EXCLUDED, FUZZ_SCRIPTS, fuzzableSpecs, GRAMMARS, keyPool, scriptShas, type FuzzCommand, type KeyPool } from '../helpers/fuzz/command-generator.js';
import { DifferentialRun, type Discrepancy } from '../helpers/fuzz/differential-run.js';
import { SlotgateProcess } from '../helpers/fuzz/slotgate-process.js';
import { FALLBACK_COMMAND_TABLE } from '../../src/commands/command-table.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20250607);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);
const PIPELINE_COUNT = Number(process.env.FUZZ_PIPELINE_COUNT ?? 800);
const REPLAY = `FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT} FUZZ_PIPELINE_COUNT=${PIPELINE_COUNT} npx vitest run test/integration/command-fuzz.test.ts`;

function report(run: DifferentialRun, discrepancies: readonly Discrepancy[]): string {
  const shown = discrepancies.slice(0, 30).map((d) => `  ${d.where}: ${d.command}\n      ${d.detail.replace(/\n/g, '\n      ')}`);
  const more = discrepancies.length > shown.length ? `\n  … and ${discrepancies.length - shown.length} more` : '';
  const allowed = [...run.allowed].map(([rule, n]) => `${rule} ×${n}`).join(', ');
  return `seed ${SEED}: ${discrepancies.length} discrepancies (replay: ${REPLAY})\n${shown.join('\n')}${more}\nallowed differences applied: ${allowed || 'none'}`;
}

describe('differential command fuzz: slotgate against a standalone Redis', () => {
  const standalone = useStandaloneRedis();
  let direct: Cluster;
  let slotgate: SlotgateProcess;
  let pool: KeyPool;
  // The run's keys are named after the seed, so a replay uses the same keys in the same slots.
  const run = `s${SEED}`;
  const patterns = [`fz:${run}:*`, `{fz:${run}:a}*`, `{fz:${run}:b}[0-2]`, `fz:${run}:1?`, `*fz:${run}:[0-5]*`, `fz:${run}:\\*`, `{fz:${run}:b}*`];

  beforeAll(async () => {
    const seeds = sharedClusterSeeds();
    direct = connectClusterClient(seeds);
    slotgate = new SlotgateProcess(seeds);
    await slotgate.start();
    pool = keyPool(run);
    // Every script is loaded on both sides (on every master directly), so EVALSHA finds it on any node.
    scriptShas.length = 0;
    for (const script of FUZZ_SCRIPTS) {
      const sha = createHash('sha1').update(script).digest('hex');
      const loaded = await standalone().script('LOAD', script).then(() => true, () => false);
      await Promise.all(direct.nodes('master').map((node) => node.script('LOAD', script).catch(() => undefined)));
      if (loaded) scriptShas.push(sha);
    }
  });
  afterAll(() => {
    direct?.disconnect();
    slotgate?.stop();
  });

  const environment = () => ({ standalone: standalone(), standalonePort: Number(standalone().options.port), direct, slotgate, pool });

  it('generates every data-type command of the command table, or says why not', () => {
    const uncovered = fuzzableSpecs()
      .map((spec) => spec.name)
      .filter((name) => GRAMMARS[name] === undefined && EXCLUDED[name] === undefined);
    expect(uncovered).toEqual([]);
    const unknown = [...Object.keys(GRAMMARS), ...Object.keys(EXCLUDED)].filter((name) => FALLBACK_COMMAND_TABLE.get(name) === undefined);
    expect(unknown).toEqual([]);
  });

  it(`gives Redis's replies, one command at a time (${COUNT} commands)`, async () => {
    const differential = new DifferentialRun(environment());
    await differential.open();
    try {
      await differential.clean();
      const generator = new CommandGenerator(new Random(SEED), pool, { crossSlotWrites: true }, patterns);
      const commands = function* (): Generator<FuzzCommand> {
        for (let i = 0; i < COUNT; i++) yield generator.next();
      };
      await differential.sequential(commands());
      await differential.compareDataset('final dataset after the sequence');
      await differential.checkAlive('after the sequence');
      if (differential.errorTextDifferences.length > 0) {
        console.log(`error texts that differ after the same prefix (${differential.errorTextDifferences.length}):\n${differential.errorTextDifferences.slice(0, 20).join('\n')}`);
      }
      expect(differential.discrepancies, report(differential, differential.discrepancies)).toEqual([]);
    } finally {
      differential.close();
    }
  });

  it(`gives Redis's replies to a pipelined batch (${PIPELINE_COUNT} commands in one write)`, async () => {
    const differential = new DifferentialRun(environment());
    await differential.open();
    try {
      await differential.clean();
      // Another stream of commands than the sequential test's, from the same seed.
      const generator = new CommandGenerator(new Random(SEED ^ 0x5eed), pool, { crossSlotWrites: false }, patterns);
      await differential.pipelined(Array.from({ length: PIPELINE_COUNT }, () => generator.next()));
      await differential.checkAlive('after the pipelined batch');
      expect(differential.discrepancies, report(differential, differential.discrepancies)).toEqual([]);
    } finally {
      differential.close();
    }
  });
});
