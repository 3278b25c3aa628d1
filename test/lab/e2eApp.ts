// The workload of the end-to-end lab (test/lab/guest/e2e.sh): a pod's HTTP server and the
// client's probes, in one file with no imports beyond node's own (it starts in a few seconds
// under qemu's software emulation).
//   serve NAME PORT                      in a pod: GET / answers "hello from NAME client ADDR",
//                                        GET /stream?chunks=N&ms=M streams N lines M ms apart,
//                                        GET /healthz answers ok
//   spread URL COUNT                     COUNT requests, each on a new connection; prints
//                                        {answers: {pod: n}, clients: {addr: n}, failed}
//   probe URL INTERVAL_MS TIMEOUT_MS     a request every INTERVAL_MS on a new connection; prints
//                                        a JSON line each time another pod answers, and on
//                                        SIGTERM {sent, answered, failed, longestGapMs, ...}
//   stream URL AVOID_PODS                one streamed response from a pod not in AVOID_PODS
//                                        (comma-separated; others are abandoned and retried);
//                                        prints {event: "streaming"} once it started, then
//                                        {pod, attempts, bytes, chunks, expected, complete, ...}
import { createServer, get, type IncomingMessage } from 'node:http';

const [mode, ...args] = process.argv.slice(2);
const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

/** The answer to GET /: who answered and whom it saw (the client's address, as DR keeps it). */
function hello(pod: string, clientAddress: string): string {
  return `hello from ${pod} client ${clientAddress}\n`;
}

/** Parses a hello line back into {pod, client}, or undefined. */
function parseHello(text: string): { pod: string; client: string } | undefined {
  const match = /^hello from (\S+) client (\S+)$/m.exec(text);
  return match ? { pod: match[1]!, client: match[2]! } : undefined;
}

function serve(name: string, port: number): void {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pod');
    const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (url.pathname === '/healthz') return void res.end('ok\n');
    if (url.pathname !== '/stream') return void res.end(hello(name, client));
    const chunks = Number(url.searchParams.get('chunks') ?? '50');
    const gapMs = Number(url.searchParams.get('ms') ?? '100');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(`stream from ${name} client ${client}\n`);
    let sent = 0;
    const timer = setInterval(() => {
      res.write(`chunk ${++sent} of ${chunks} ${'.'.repeat(64)}\n`);
      if (sent === chunks) {
        clearInterval(timer);
        res.end('end\n');
      }
    }, gapMs);
    res.once('close', () => clearInterval(timer));
  });
  server.keepAliveTimeout = 0;
  server.listen(port, '0.0.0.0', () => print({ event: 'serving', pod: name, port }));
}

/** One GET on a connection of its own; resolves with the body, rejects on error or timeout. */
function fetchOnce(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve(body));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

async function spread(url: string, count: number): Promise<void> {
  const answers: Record<string, number> = {};
  const clients: Record<string, number> = {};
  let failed = 0;
  // Four at a time: each on a new connection, so from a new source port the Maglev hash spreads.
  const queue = Array.from({ length: count }, (_, i) => i);
  const worker = async (): Promise<void> => {
    while (queue.shift() !== undefined) {
      try {
        const seen = parseHello(await fetchOnce(url, 3000));
        if (!seen) throw new Error('not a hello');
        answers[seen.pod] = (answers[seen.pod] ?? 0) + 1;
        clients[seen.client] = (clients[seen.client] ?? 0) + 1;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  print({ answers, clients, failed });
}

function probe(url: string, intervalMs: number, timeoutMs: number): void {
  let sent = 0;
  let answered = 0;
  let failed = 0;
  let last: { at: number; from: string } | undefined;
  let longest = { gapMs: 0, before: '', after: '', fromMs: 0 };
  const started = performance.now();
  const byPod: Record<string, number> = {};
  const timer = setInterval(() => {
    sent++;
    fetchOnce(url, timeoutMs).then(
      (body) => {
        const at = performance.now();
        const from = parseHello(body)?.pod ?? '?';
        answered++;
        byPod[from] = (byPod[from] ?? 0) + 1;
        if (byPod[from] === 1) print({ event: 'answered-by', from });
        if (answered % 50 === 0) print({ event: 'answered', answered });
        if (last && at - last.at > longest.gapMs) longest = { gapMs: Math.round(at - last.at), before: last.from, after: from, fromMs: Math.round(last.at - started) };
        last = { at, from };
      },
      () => failed++,
    );
  }, intervalMs);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    print({ sent, answered, failed, longestGapMs: longest.gapMs, gapBefore: longest.before, gapAfter: longest.after, gapStartedAtMs: longest.fromMs, byPod, durationMs: Math.round(performance.now() - started) });
    process.exit(0);
  });
}

async function stream(url: string, avoid: string[]): Promise<void> {
  for (let attempt = 1; attempt <= 40; attempt++) {
    const outcome = await new Promise<'retry' | 'done'>((resolve) => {
      const req = get(url, { agent: false }, (res) => {
        let text = '';
        let pod: string | undefined;
        let lastAt = performance.now();
        let longestChunkGapMs = 0;
        const started = performance.now();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now();
          longestChunkGapMs = Math.max(longestChunkGapMs, Math.round(now - lastAt));
          lastAt = now;
          text += chunk;
          if (pod === undefined && text.includes('\n')) {
            pod = /^stream from (\S+)/.exec(text)?.[1] ?? '?';
            if (avoid.includes(pod)) {
              req.destroy();
              return resolve('retry');
            }
            print({ event: 'streaming', pod, attempt });
          }
        });
        const finish = (error?: string): void => {
          if (pod === undefined || avoid.includes(pod)) return;
          const chunks = text.split('\n').filter((l) => l.startsWith('chunk ')).length;
          const expected = Number(/ of (\d+) /.exec(text)?.[1] ?? '0');
          print({ pod, attempts: attempt, bytes: text.length, chunks, expected, complete: text.endsWith('end\n') && chunks === expected, longestChunkGapMs, durationMs: Math.round(performance.now() - started), ...(error && { error }) });
          resolve('done');
        };
        res.once('end', () => finish());
        res.once('error', (err) => finish(err.message));
      });
      req.once('error', (err) => {
        print({ event: 'stream-error', attempt, error: err.message });
        resolve('retry');
      });
    });
    if (outcome === 'done') return;
  }
  print({ error: `every stream in 40 attempts came from ${avoid.join(', ')}`, complete: false });
}

if (mode === 'serve') serve(args[0] ?? 'pod', Number(args[1] ?? '80'));
else if (mode === 'spread') await spread(args[0] ?? '', Number(args[1] ?? '40'));
else if (mode === 'probe') probe(args[0] ?? '', Number(args[1] ?? '20'), Number(args[2] ?? '900'));
else if (mode === 'stream') await stream(args[0] ?? '', (args[1] ?? '').split(',').filter(Boolean));
else if (mode !== undefined) {
  process.stderr.write('usage: e2eApp serve NAME PORT | spread URL COUNT | probe URL INTERVAL_MS TIMEOUT_MS | stream URL AVOID_PODS\n');
  process.exitCode = 2;
}
