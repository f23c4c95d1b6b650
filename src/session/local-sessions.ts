/**
 * This process's sessions as the client directory sees them (peers/client-directory.ts): records
 * made on demand from each live Session, and kills. The set is the server's own set of sessions,
 * so a session leaves the listing the moment it closes, with nothing else to keep in step.
 */
import type { LocalSessions, UnblockReason } from '../peers/client-directory.js';
import { matchesFilter, type ClientFilter, type ClientRecord } from '../peers/client-record.js';
import type { Session } from './session.js';

export class SessionSet implements LocalSessions {
  constructor(private readonly sessions: ReadonlySet<Session>) {}

  list(filter: ClientFilter): ClientRecord[] {
    const records: ClientRecord[] = [];
    for (const session of this.sessions) {
      if (filter.ids !== undefined && !filter.ids.includes(session.id)) continue;
      const record = session.clientRecord();
      if (matchesFilter(record, filter)) records.push(record);
    }
    return records;
  }

  kill(filter: ClientFilter, spare?: number): { killed: number; spared: boolean } {
    let killed = 0;
    let spared = false;
    for (const session of [...this.sessions]) {
      if (filter.ids !== undefined && !filter.ids.includes(session.id)) continue;
      if (!matchesFilter(session.clientRecord(), filter)) continue;
      killed++;
      if (session.id === spare) spared = true;
      else session.close('killed');
    }
    return { killed, spared };
  }

  unblock(id: number, reason: UnblockReason): Promise<boolean> {
    for (const session of this.sessions) if (session.id === id) return session.unblock(reason);
    return Promise.resolve(false);
  }
}
