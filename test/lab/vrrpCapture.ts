/** One VRRP advertisement seen by `tcpdump -nn -e -v -tt`: when, from whom, with which priority. */
export interface SeenAdvert {
  at: number;
  source: string;
  vrid: number;
  priority: number;
}

/** Parses the VRRP lines of a `tcpdump -tt -v` capture (the timestamp is on the line before the decode). */
export function advertsIn(capture: string): SeenAdvert[] {
  const seen: SeenAdvert[] = [];
  let at = 0;
  for (const line of capture.split('\n')) {
    const stamp = /^(\d+\.\d+) /.exec(line);
    if (stamp?.[1]) at = Number(stamp[1]);
    const advert = /(\S+) > \S+: VRRPv3, Advertisement, vrid (\d+), prio (\d+)/.exec(line);
    if (advert?.[1] && advert[2] && advert[3]) seen.push({ at, source: advert[1], vrid: Number(advert[2]), priority: Number(advert[3]) });
  }
  return seen;
}

/**
 * How long the segment went without a master after `from` (seconds): from the leaving master's
 * priority-0 advertisement (`stopped`) or its last advertisement before the next master's first
 * (`killed`), to that first advertisement of `taking`, in ms.
 */
export function handoverMs(adverts: SeenAdvert[], from: number, leaving: string, taking: string, how: 'killed' | 'stopped'): number {
  const after = (at: number) => adverts.find((a) => a.source === taking && a.at > at && a.priority > 0);
  if (how === 'stopped') {
    const stop = adverts.find((a) => a.source === leaving && a.at >= from && a.priority === 0);
    const next = stop && after(stop.at);
    if (!stop || !next) throw new Error(`no priority-0 advertisement from ${leaving} followed by one from ${taking} after ${from}`);
    return Math.round((next.at - stop.at) * 1000);
  }
  const next = after(from);
  const last = next && adverts.filter((a) => a.source === leaving && a.at < next.at).at(-1);
  if (!next || !last) throw new Error(`no takeover by ${taking} from ${leaving} after ${from}`);
  return Math.round((next.at - last.at) * 1000);
}
