// `npm run demo`: boots the end-to-end lab (e2eLab.ts, guest/e2e.sh) and prints what happened:
// the VIP answering from every pod, the IPVS tables of every node, a failover and its gap.
//   npm run demo [-- --manual] [-- --pause SECONDS]
// --manual programs VIPs and IPVS by hand instead of running the speakers (harness check);
// --veth-address gives the node side of each pod's veth an address (as a bridge CNI does).
import { runE2eLab } from './e2eLab.js';

const args = process.argv.slice(2);
const manual = args.includes('--manual');
const pauseAt = args.indexOf('--pause');
const apiPauseSeconds = pauseAt >= 0 ? Number(args[pauseAt + 1]) : 20;
const podVethAddress = args.includes('--veth-address');
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

out(`tsvs demo: a qemu VM with 3 nodes, 7 pods (2 on the node segment) and a client; kube-apiserver and the tsvs controller on this host${manual ? ' (speakers replaced by hand-programmed IPVS)' : ''}.`);
out('This takes a few minutes under software emulation.');
const started = Date.now();
const { run, vips } = await runE2eLab({ speaker: manual ? 'manual' : 'real', apiPauseSeconds, podVethAddress, log: (line) => process.stderr.write(`${line}\n`) });
const results = run.results as Array<Record<string, unknown> & { name: string }>;
const result = (name: string) => results.find((r) => r.name === name);

out(`\nVIPs allocated by the controller: ${Object.entries(vips).map(([s, v]) => `${s} ${v}`).join(', ')}`);
const speakers = result('speakers');
out(`speakers: ${speakers?.ok ? `running, ${String(speakers.master)} is master of ${vips.web}` : 'did not start (see the guest output below)'}`);
if (podVethAddress) out("(the node side of each pod's veth has an address, as on a bridge CNI)");
for (const name of ['spread', 'flat']) {
  const r = result(name);
  if (!r || r.skipped) continue;
  out(`\n${name === 'spread' ? 'routed pod network' : 'flat layer 2'}: ${JSON.stringify(r.answers)} answered ${String(r.vip)} (${String(r.failed)} failed); the pods saw the client as ${JSON.stringify(r.clients)}`);
  const macs = (r.replyMacs as Array<{ owner: string; frames: number }>).map((m) => `${m.owner} ${m.frames}`).join(', ');
  out(`  reply frames by sender (master ${String(r.master)}): ${macs}`);
}
const tables = (result('agree-initial')?.tables ?? result('final')?.ipvsStats) as Record<string, unknown> | undefined;
if (tables) {
  out('\nIPVS tables (ipvsadm -Ln):');
  for (const [node, table] of Object.entries(tables)) out(`--- ${node}\n${typeof table === 'string' ? table : JSON.stringify(table)}`);
}
const failover = result('failover');
if (failover && !failover.skipped) {
  const probe = failover.probe as Record<string, unknown>;
  const stream = failover.stream as Record<string, unknown>;
  out(`\nfailover: ${String(failover.oldMaster)} died (link down, speaker SIGKILLed); ${String(failover.newMaster)} held the VIP after ${String(failover.takeoverMs)} ms`);
  out(`  client requests every 20 ms: longest gap ${String(probe.longestGapMs)} ms (${String(probe.answered)}/${String(probe.sent)} answered)`);
  out(`  streamed response from ${String(stream.pod)} across the failover: ${String(stream.bytes)} bytes, ${stream.complete ? 'complete' : 'INCOMPLETE'}`);
}
const outage = result('outage');
if (outage && !outage.skipped) {
  out(`\nAPI server stopped for ${String(outage.apiStoppedMs)} ms: failover during it took ${String(outage.takeoverMs)} ms, longest gap ${String((outage.probe as Record<string, unknown>).longestGapMs)} ms`);
}
const failedChecks = results.filter((r) => r.agree === false).map((r) => `${r.name}: ${JSON.stringify(r.problems)}`);
if (failedChecks.length > 0) out(`\nnodes and VirtualServer status disagreed:\n${failedChecks.join('\n')}`);
out(`\nguest exit ${run.exitCode}; boot ${run.timings.bootMs} ms, whole run ${Date.now() - started} ms`);
if (process.env.DEMO_VERBOSE === '1' || run.exitCode !== 0 || !speakers?.ok) out(`\n--- guest output\n${run.output}`);
process.exitCode = run.exitCode;
