/**
 * CONFIG GET and ROLE without a node (README: *Cross-slot commands, node targeting and the cluster view*): the client talks to one Redis, slotgate, so
 * nothing in these replies may say where the backend nodes are, what they listen on or what they
 * run from. CONFIG GET's listening parameters become slotgate's own (`port`, `tls-port`, `bind`);
 * the other address and port parameters become what an unconfigured Redis says ("" and 0); file
 * paths and secrets are `***`, as INFO masks them. Everything else is one master's answer, as is.
 * With a node suffix (`CONFIG GET port @0`) the node's own reply passes unchanged.
 */
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../protocol/encoder.js';
import { mapReply, type RespVersion } from '../protocol/resp3-encoder.js';
import { MASKED } from './info.js';

/** What slotgate itself listens on, in CONFIG GET's terms. */
export interface ListeningView {
  readonly port: number;
  /** 0 without a TLS listener. */
  readonly tlsPort: number;
  readonly bind: string;
}

/** Addresses and hostnames of the node (or of its master): an unset one reads "". */
const ADDRESS_PARAMETERS = new Set([
  'bind-source-addr', 'cluster-announce-ip', 'cluster-announce-hostname', 'cluster-announce-human-nodename',
  'replica-announce-ip', 'slave-announce-ip', 'replicaof', 'slaveof',
]);
/** Ports of the node and its cluster bus: an unset one reads 0. */
const PORT_PARAMETERS = new Set([
  'cluster-announce-port', 'cluster-announce-tls-port', 'cluster-announce-bus-port', 'cluster-port',
  'replica-announce-port', 'slave-announce-port',
]);
/** Where the node keeps its files, and its secrets. */
const MASKED_PARAMETERS = new Set([
  'dir', 'logfile', 'pidfile', 'unixsocket', 'aclfile', 'cluster-config-file',
  'dbfilename', 'appendfilename', 'appenddirname',
  'tls-cert-file', 'tls-key-file', 'tls-client-cert-file', 'tls-client-key-file', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-dh-params-file',
  'requirepass', 'masterauth', 'masteruser', 'tls-key-file-pass', 'tls-client-key-file-pass',
]);

/** The value CONFIG GET shows for `name` through slotgate; `value` is the node's. */
export function configValueShown(name: string, value: Buffer, self: ListeningView): Buffer | string {
  switch (name) {
    case 'port':
      return String(self.port);
    case 'tls-port':
      return String(self.tlsPort);
    case 'bind':
      return self.bind;
  }
  if (ADDRESS_PARAMETERS.has(name)) return '';
  if (PORT_PARAMETERS.has(name)) return '0';
  if (MASKED_PARAMETERS.has(name)) return value.length === 0 ? value : MASKED;
  return value;
}

/** CONFIG GET's reply (a node's names and values, in turn) rewritten for the client: an array, a map in RESP3 (as Redis). */
export function configGetReply(pairs: readonly Buffer[], self: ListeningView, protocol: RespVersion = 2): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = pairs[i]!;
    frames.push(encodeBulk(name), encodeBulk(configValueShown(name.toString('latin1').toLowerCase(), pairs[i + 1]!, self)));
  }
  return mapReply(protocol, frames);
}

/** ROLE without a node: slotgate is one master with no replicas a client could see. */
export function roleReply(): Buffer {
  return encodeArrayOfFrames([encodeBulk('master'), encodeInteger(0), encodeArrayOfFrames([])]);
}
