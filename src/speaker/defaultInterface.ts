import { readFile } from 'node:fs/promises';

const RTF_UP = 0x1;

interface Candidate {
  name: string;
  metric: number;
}

const best = (candidates: Candidate[]) => candidates.sort((a, b) => a.metric - b.metric)[0]?.name;

/** The interface of the IPv4 default route with the lowest metric, from /proc/net/route. */
export function ipv4DefaultInterface(procNetRoute: string): string | undefined {
  const rows = procNetRoute.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
  return best(
    rows
      .filter(([, destination, , flags, , , , mask]) => destination === '00000000' && mask === '00000000' && (parseInt(flags ?? '0', 16) & RTF_UP) !== 0)
      .map((row) => ({ name: row[0] ?? '', metric: Number(row[6]) })),
  );
}

/** The interface of the IPv6 default route with the lowest metric, from /proc/net/ipv6_route (the kernel's unreachable default on lo left out). */
export function ipv6DefaultInterface(procNetIpv6Route: string): string | undefined {
  const rows = procNetIpv6Route.trim().split('\n').map((line) => line.trim().split(/\s+/));
  return best(
    rows
      .filter(([destination, prefix, , , , , , , flags, name]) => /^0{32}$/.test(destination ?? '') && prefix === '00' && name !== 'lo' && (parseInt(flags ?? '0', 16) & RTF_UP) !== 0)
      .map((row) => ({ name: row[9] ?? '', metric: parseInt(row[5] ?? '0', 16) })),
  );
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The interface VRRP speaks on when none is configured: that of the default route, IPv4 first. */
export async function defaultRouteInterface(): Promise<string> {
  const name = ipv4DefaultInterface(await readOptional('/proc/net/route')) ?? ipv6DefaultInterface(await readOptional('/proc/net/ipv6_route'));
  if (name === undefined) throw new Error('no default route to take the interface from: give --interface (or $TSVS_INTERFACE)');
  return name;
}
