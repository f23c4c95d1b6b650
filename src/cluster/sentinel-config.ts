/**
 * Which Sentinel to believe (issue #19). Sentinels learn a failover at different times: the one
 * that ran it knows the new master at once (`+promoted-slave`), the others only from its hello
 * message, up to 2 s later. In a planned failover the old master is still up, still a master
 * (until a Sentinel converts it, up to 10 s later), so a lagging Sentinel's answer passes the
 * role check — and writes sent there on its word are acknowledged and then dropped when the old
 * master becomes a replica.
 *
 * Sentinel orders configurations by their config epoch (`config-epoch` in `SENTINEL MASTER`): a
 * failover's new configuration carries a higher one, and the Sentinels themselves adopt the
 * highest they hear of. slotgate does the same: it asks every Sentinel, believes the ones with the
 * highest epoch, and never goes back to an epoch lower than one it has installed — unless a
 * majority of the configured Sentinels agree on it and none it can reach knows better (Sentinels
 * reset by an operator restart from epoch 0; a leader that died before telling the others is
 * overruled by them, as the Sentinels themselves will do).
 */

/** One Sentinel's answer: the master it names and the configuration epoch of that answer. */
export interface SentinelAnswer {
  /** Its place in the configured list (the refresher prefers the one that answered last). */
  readonly index: number;
  readonly configEpoch: number;
  readonly host: string;
  readonly port: number;
}

/**
 * The answers to try, best first: those with the highest epoch among `answers`, preferred one
 * first. Throws when that epoch is below `installedEpoch` and no majority of the `configured`
 * Sentinels agrees on it (a Sentinel that knows the newer configuration is out of reach).
 */
export function newestAnswers(answers: readonly SentinelAnswer[], configured: number, installedEpoch: number, preferred: number): SentinelAnswer[] {
  if (answers.length === 0) throw new Error('no Sentinel answered');
  const newest = answers.reduce((max, a) => Math.max(max, a.configEpoch), -1);
  const best = answers.filter((a) => a.configEpoch === newest);
  if (newest < installedEpoch && best.length <= configured / 2) {
    throw new Error(
      `the reachable Sentinels name configuration epoch ${newest}, older than the ${installedEpoch} in use, and are not a majority: keeping the newer master`,
    );
  }
  return best.sort((a, b) => rank(a.index, preferred, configured) - rank(b.index, preferred, configured));
}

/** Distance from `preferred` in the configured order (so ties keep asking the same Sentinel first). */
function rank(index: number, preferred: number, configured: number): number {
  return (index - preferred + configured) % configured;
}
