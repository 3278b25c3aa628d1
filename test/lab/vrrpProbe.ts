// Failover probe for the VRRP benchmark, over UDP:
//   serve NAME PORT                     answer every datagram with NAME
//   client ADDRESS PORT INTERVAL_MS     send one request every INTERVAL_MS; print a JSON line
//                                       each time a different server answers, and on SIGTERM one
//                                       with sent, answered, the longest gap between answers (ms)
//                                       and who answered before and after it.
import { createSocket } from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'serve') {
  const [name = 'server', port = '9000'] = args;
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => socket.send(Buffer.concat([Buffer.from(`${name} `), message]), peer.port, peer.address));
  socket.bind(Number(port), '0.0.0.0');
} else if (mode === 'client') {
  const [address = '', port = '9000', interval = '20'] = args;
  const socket = createSocket('udp4');
  let sent = 0;
  let answered = 0;
  let last: { at: number; from: string } | undefined;
  let longest = { gapMs: 0, before: '', after: '' };
  socket.on('message', (message) => {
    const at = performance.now();
    const from = message.toString().split(' ')[0] ?? '';
    answered++;
    // A new responder is news: the bench waits for these lines.
    if (from !== last?.from) process.stdout.write(`${JSON.stringify({ event: 'answered-by', from })}\n`);
    if (last && at - last.at > longest.gapMs) longest = { gapMs: Math.round(at - last.at), before: last.from, after: from };
    last = { at, from };
  });
  const timer = setInterval(() => socket.send(String(sent++), Number(port), address), Number(interval));
  process.once('SIGTERM', () => {
    clearInterval(timer);
    process.stdout.write(`${JSON.stringify({ sent, answered, longestGapMs: longest.gapMs, before: longest.before, after: longest.after, lastFrom: last?.from ?? '' })}\n`);
    socket.close();
  });
} else {
  process.stderr.write('usage: vrrpProbe serve NAME PORT | client ADDRESS PORT INTERVAL_MS\n');
  process.exitCode = 2;
}
