// The slotgate command line as users meet it: --version, option errors, unknown SLOTGATE_*
// variables, and the pretty log format. Runs the built program (dist/).
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedClusterSeeds } from '../helpers/cluster-fixture.js';
import { runCli, startSlotgateProcess, type RunningSlotgate } from '../helpers/slotgate-cli.js';

const packageVersion = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;

describe('slotgate command line', () => {
  let running: RunningSlotgate | undefined;
  afterEach(() => running?.kill());

  it('--version prints the version in package.json', async () => {
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag]);
      expect(run).toEqual({ code: 0, stdout: `slotgate ${packageVersion}\n`, stderr: '' });
    }
  });

  it('a bad value exits 2 with the value and the expected form', async () => {
    const port = await runCli(['--cluster', '127.0.0.1:7000', '--port', 'abc']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("slotgate: option port: 'abc' is not a port number from 0 to 65535");
    const timeout = await runCli(['--cluster', '127.0.0.1:7000'], { SLOTGATE_COMMAND_TIMEOUT: '5s' });
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain("slotgate: option command-timeout: '5s' is not a number of milliseconds from 1 to 3600000");
  });

  it('warns about an unknown SLOTGATE_* variable, naming the closest option, in the pretty log format', async () => {
    running = await startSlotgateProcess(['--cluster', sharedClusterSeeds().join(','), '--log-format', 'pretty'], { SLOTGATE_COMAND_TIMEOUT: '3000' });
    const lines = running.output().split('\n').filter(Boolean);
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    const warning = lines.find((line) => line.includes('SLOTGATE_COMAND_TIMEOUT'));
    expect(warning).toMatch(/^\S+ WARN  environment variable SLOTGATE_COMAND_TIMEOUT is not a slotgate option and is ignored; did you mean SLOTGATE_COMMAND_TIMEOUT \(option command-timeout\)\?/);
    expect(lines.find((line) => line.includes('slotgate listening'))).toMatch(new RegExp(`^\\S+ INFO  slotgate listening port=${running.port} `));
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.output()).toMatch(/INFO  drain finished: every session closed cleanly drained=0 cut=0/);
  });
});
