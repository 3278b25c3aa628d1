import { isIP } from 'node:net';
import { z } from 'zod';

const ipAddress = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

export const vrrpInstanceSchema = z
  .object({
    vrid: z.number().int().min(1).max(255),
    /** 255 only for the address owner; 1-254 otherwise. */
    priority: z.number().int().min(1).max(255),
    /** Advertisement interval; VRRPv3 carries centiseconds, so a multiple of 10 ms up to 40.95 s. */
    advertIntervalMs: z.number().int().min(10).max(40_950).multipleOf(10).default(1000),
    preempt: z.boolean().default(true),
    preemptDelayMs: z.number().int().min(0).max(1_000_000).default(0),
    addresses: z.array(ipAddress).min(1).max(255),
    /** IPv4 checksum form we send (RFC 5798 pseudo-header, or keepalived's v3_checksum_as_v2 'plain'). */
    checksum: z.enum(['pseudo-header', 'plain']).default('pseudo-header'),
  })
  .refine((i) => new Set(i.addresses.map((a) => isIP(a))).size === 1, 'addresses of one instance must all be IPv4 or all IPv6');

export const vipHolderConfigSchema = z
  .object({
    interface: z.string().regex(/^[^\s/]{1,15}$/, 'must be a network interface name'),
    dummy: z.string().regex(/^[^\s/]{1,15}$/).default('tsvs0'),
    /** Unicast peers (both families may be listed); none means multicast. */
    peers: z.array(ipAddress).default([]),
    /** The instances to start with; VipHolder.setInstances changes them while running. */
    instances: z.array(vrrpInstanceSchema).default([]),
    announce: z
      .object({
        count: z.number().int().min(1).max(100).default(5),
        intervalMs: z.number().int().min(0).max(10_000).default(10),
        repeatAfterMs: z.number().int().min(0).max(600_000).default(5000),
      })
      .default({ count: 5, intervalMs: 10, repeatAfterMs: 5000 }),
    /**
     * A backup keeps the VIPs of the starting instances on the dummy device (as if it had local
     * endpoints for tier 2); setInstances then says per VIP.
     */
    backupHoldsVips: z.boolean().default(true),
    manageSysctls: z.boolean().default(true),
    /** /proc/sys of the node's network namespace (a speaker in a container gets the host's mounted elsewhere). */
    sysctlRoot: z.string().min(1).default('/proc/sys'),
    /** Keeps the sysctl values we replaced across a crash; /run is cleared on reboot, as sysctls are. */
    stateDir: z.string().min(1).default('/run/tsvs'),
    /** How often addresses and sysctls are re-read and re-applied, to repair drift. */
    reconcileIntervalMs: z.number().int().min(100).default(10_000),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    for (const instance of config.instances) {
      const key = `${isIP(instance.addresses[0] ?? '')}/${instance.vrid}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `VRID ${instance.vrid} is used twice for one address family` });
      seen.add(key);
    }
  });

export type VrrpInstanceInput = z.input<typeof vrrpInstanceSchema>;
export type VrrpInstanceSettings = z.output<typeof vrrpInstanceSchema>;
export type VipHolderConfig = z.output<typeof vipHolderConfigSchema>;
