// A minimal Node TCP forwarder, the floor of what Node can do as a proxy (issue #12): every client
// connection gets a backend connection of its own to one Redis, and bytes are copied both ways
// without parsing. Run as its own process by bench/node-floor.mjs:
//
//   node bench/node-forwarder.mjs <streams|raw> <listen-port> <redis-port>
//
// `streams`: socket.pipe() both ways, Node's ordinary streams.
// `raw`: the I/O slotgate uses (src/io/): reads into one shared buffer, writes straight to libuv.
import net from 'node:net';
import { connectReadOption, readSocket } from '../dist/src/io/socket-reader.js';
import { SocketWriter } from '../dist/src/io/socket-writer.js';

const [variant, listenPort, redisPort] = process.argv.slice(2);
if (!['streams', 'raw'].includes(variant)) throw new Error(`unknown variant ${variant}`);

const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
  if (variant === 'streams') {
    const backend = net.connect({ host: '127.0.0.1', port: Number(redisPort), noDelay: true });
    client.pipe(backend).pipe(client);
    client.resume();
    const close = () => { client.destroy(); backend.destroy(); };
    client.on('error', close).on('close', close);
    backend.on('error', close).on('close', close);
    return;
  }
  const toClient = new SocketWriter(client, () => undefined);
  const backend = net.connect({ host: '127.0.0.1', port: Number(redisPort), noDelay: true, onread: connectReadOption((chunk) => toClient.write(chunk)) });
  const toBackend = new SocketWriter(backend, () => undefined);
  readSocket(client, (chunk) => toBackend.write(chunk));
  const close = () => { client.destroy(); backend.destroy(); };
  client.on('error', close).on('close', close).on('end', close);
  backend.on('error', close).on('close', close).on('end', close);
});
server.listen(Number(listenPort), '127.0.0.1', () => process.send?.('listening'));
process.on('SIGTERM', () => process.exit(0));
