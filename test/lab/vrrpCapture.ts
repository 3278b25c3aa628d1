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
 * How long the segment went without a master when `leaving` died (`killed`: from its last
 * advertisement before `from`, seconds) or stopped (from its priority-0 advertisement after
 * `from`), until the first advertisement of `taking`, in ms.
 */
export function handoverMs(adverts: SeenAdvert[], from: number, leaving: string, taking: string, how: 'killed' | 'stopped'): number {
  const start =
    how === 'killed' ? adverts.filter((a) => a.source === leaving && a.at <= from).at(-1) : adverts.find((a) => a.source === leaving && a.at >= from && a.priority === 0);
  if (!start) throw new Error(`no ${how === 'killed' ? 'last' : 'priority-0'} advertisement from ${leaving} around ${from}`);
  const next = adverts.find((a) => a.source === taking && a.at > start.at && a.priority > 0);
  if (!next) throw new Error(`no advertisement from ${taking} after ${start.at}`);
  return Math.round((next.at - start.at) * 1000);
}
