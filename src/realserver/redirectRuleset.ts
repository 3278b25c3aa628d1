import { ipFamily } from '../speaker/net/ipAddress.js';
import type { PortRedirect } from './realServerConfig.js';

/** Our nftables table in the pod's network namespace; nothing else in it is ours. */
export const redirectTable = 'tsvs_realserver';

/**
 * An nft script that replaces our table with exactly these redirects, in one transaction:
 * `add` then `delete` makes the delete succeed whether or not the table existed, so running it
 * twice gives the same result. With no redirects it just removes the table.
 *
 * DNAT keeps the VIP as destination (REDIRECT would switch to the interface's own address),
 * and conntrack turns the replies' source back into VIP:port, which is what the client expects.
 */
export function redirectRuleset(redirects: readonly PortRedirect[]): string {
  const lines = [`add table inet ${redirectTable}`, `delete table inet ${redirectTable}`];
  if (redirects.length === 0) return `${lines.join('\n')}\n`;
  const rules = redirects.map((r) => {
    const six = ipFamily(r.vip) === 6;
    const family = six ? 'ip6' : 'ip';
    const to = six ? `[${r.vip}]:${r.targetPort}` : `${r.vip}:${r.targetPort}`;
    return `    ${family} daddr ${r.vip} ${r.protocol} dport ${r.port} dnat ${family} to ${to}`;
  });
  lines.push(
    `table inet ${redirectTable} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...rules,
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}
