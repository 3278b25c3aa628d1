// Validation of the desired IPVS table where it enters this module: defaults filled in,
// addresses made canonical (so they compare equal to dumped ones), duplicates refused.

import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalAddress, familyOf } from './address.js';
import type { DesiredService, OwnedSet } from './diff.js';
import { destinationId, serviceId } from './diff.js';
import type { DestinationConfig, ServiceConfig } from './types.js';

const address = z
  .string()
  .refine((value) => isIP(value) !== 0, { message: 'not an IP address' })
  .transform((value) => canonicalAddress(value));
const port = z.number().int().min(0).max(65535);
const u32 = z.number().int().min(0).max(0xffffffff);

const schedulerFlags = z
  .object({ flag1: z.boolean().default(false), flag2: z.boolean().default(false), flag3: z.boolean().default(false) })
  .default({ flag1: false, flag2: false, flag3: false });

const settings = {
  scheduler: z.string().regex(/^[a-z0-9_]{1,15}$/, 'a scheduler module name (rr, wrr, mh, ...) of at most 15 characters'),
  schedulerFlags,
  persistent: z.boolean().default(false),
  persistenceTimeout: u32.default(0),
  netmask: z.number().int().min(0).max(128).optional(),
  onePacket: z.boolean().default(false),
  persistenceEngine: z.string().regex(/^[a-z0-9_]{1,32}$/).optional(),
};

export const serviceConfigSchema = z
  .union([
    z.object({ protocol: z.enum(['tcp', 'udp', 'sctp']), address, port, ...settings }),
    z.object({ protocol: z.literal('fwmark'), family: z.enum(['inet', 'inet6']), fwmark: z.number().int().min(1).max(0xffffffff), ...settings }),
  ])
  .transform((service, ctx): ServiceConfig => {
    const family = service.protocol === 'fwmark' ? service.family : familyOf(service.address);
    const netmask = service.netmask ?? (family === 'inet' ? 32 : 128);
    if (family === 'inet' ? netmask > 32 : netmask < 1) ctx.addIssue({ code: 'custom', message: `netmask /${netmask} does not fit ${family}`, path: ['netmask'] });
    const { persistenceEngine, ...rest } = service;
    return { ...rest, netmask, ...(persistenceEngine !== undefined ? { persistenceEngine } : {}) };
  });

const tunnel = z.object({
  type: z.enum(['ipip', 'gue', 'gre']),
  port: port.default(0),
  checksum: z.boolean().default(false),
  remoteChecksum: z.boolean().default(false),
});

export const destinationConfigSchema = z
  .object({
    address,
    port,
    forwarding: z.enum(['nat', 'local', 'tunnel', 'dr', 'bypass']).default('dr'),
    weight: z.number().int().min(0).max(65535).default(1),
    upperThreshold: u32.default(0),
    lowerThreshold: u32.default(0),
    tunnel: tunnel.optional(),
  })
  .refine((d) => (d.forwarding === 'tunnel') === (d.tunnel !== undefined), { message: 'tunnel settings go with, and only with, tunnel forwarding', path: ['tunnel'] })
  .refine((d) => d.tunnel?.type !== 'gue' || d.tunnel.port !== 0, { message: 'a GUE tunnel needs a non-zero port', path: ['tunnel', 'port'] })
  .transform(({ tunnel: t, ...rest }): DestinationConfig => ({ ...rest, ...(t ? { tunnel: t } : {}) }));

export const desiredServiceSchema = z
  .object({ service: serviceConfigSchema, destinations: z.array(destinationConfigSchema).default([]) })
  .refine((entry) => new Set(entry.destinations.map(destinationId)).size === entry.destinations.length, { message: 'a destination is listed twice', path: ['destinations'] });

export const desiredTableSchema = z
  .array(desiredServiceSchema)
  .refine((table) => new Set(table.map((entry) => serviceId(entry.service))).size === table.length, { message: 'a service is listed twice' });

export const ownedSetSchema = z
  .object({ addresses: z.array(address).default([]), fwmarks: z.array(z.number().int().min(1).max(0xffffffff)).default([]) })
  .transform((owned): OwnedSet => ({ addresses: new Set(owned.addresses), fwmarks: new Set(owned.fwmarks) }));

/** Parses an untrusted desired table; throws a ZodError naming the offending field. */
export function parseDesiredTable(input: unknown): DesiredService[] {
  return desiredTableSchema.parse(input);
}

export function parseOwnedSet(input: unknown): OwnedSet {
  return ownedSetSchema.parse(input);
}
