import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { Config } from '../../config.ts';

/** A target URL longer than this is not one a receiver publishes. */
export const MAX_TARGET_LENGTH = 2000;

/**
 * Addresses a webhook may never be sent to in production: the machine itself, the deployment's own
 * networks and everything that is not a public unicast address. A partner or SS 12000 client names the
 * URL, so without this Schoolgate would post (and report the status of) requests into its own network
 * for them (server-side request forgery).
 */
const refused4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  refused4.addSubnet(net, prefix, 'ipv4');
// A list of its own: a BlockList matches an IPv4 address against its IPv6 rules as IPv4-mapped, so
// `::ffff:0:0/96` beside the IPv4 rules would refuse every IPv4 address.
const refused6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::ffff:0:0', 96], // IPv4-mapped: would reach an IPv4 address past the list above
  ['64:ff9b::', 96], // NAT64: the same
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  refused6.addSubnet(net, prefix, 'ipv6');

/** Whether the deployment refuses private targets (production) or allows them (development, tests). */
const strict = (config: Pick<Config, 'NODE_ENV'>) => config.NODE_ENV === 'production';

/** Why `address` (an IP literal) may not be posted to in production, or undefined when it may. */
export function refusedAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const blocked = family === 6 ? refused6.check(address, 'ipv6') : refused4.check(address, 'ipv4');
  return blocked ? `${address} is not a public address` : undefined;
}

/** A target URL that may not be used, with the reason (for the 400 and the attempt log). */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

/**
 * Checks a target URL's form: an absolute http(s) URL without credentials or fragment, https in
 * production (an event on the way may be read and changed otherwise). Addresses are checked by
 * `resolveTarget` and, on every attempt, by `guardedLookup`.
 *
 * @throws TargetRefused naming what is wrong.
 */
export function parseTarget(config: Pick<Config, 'NODE_ENV'>, target: string): URL {
  if (target.length > MAX_TARGET_LENGTH) throw new TargetRefused(`must be at most ${MAX_TARGET_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TargetRefused('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefused('must be an https URL');
  if (url.protocol === 'http:' && strict(config)) throw new TargetRefused('must be an https URL');
  if (url.username || url.password) throw new TargetRefused('must not carry a user name or password');
  if (url.hash) throw new TargetRefused('must not have a fragment');
  return url;
}

/** Every address `hostname` resolves to (an IP literal is its own). */
async function addressesOf(hostname: string): Promise<{ address: string; family: number }[]> {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const family = isIP(bare);
  if (family) return [{ address: bare, family }];
  return new Promise((resolve, reject) =>
    dnsLookup(bare, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(new TargetRefused(`${bare} does not resolve (${error.code ?? error.message})`)) : resolve(addresses),
    ),
  );
}

/**
 * Checks a target as a delivery would meet it: its form, and in production every address its host
 * resolves to (one private address among public ones is enough to refuse: which one a connection
 * gets is not ours to choose).
 *
 * @throws TargetRefused naming what is wrong.
 */
export async function resolveTarget(config: Pick<Config, 'NODE_ENV'>, target: string): Promise<URL> {
  const url = parseTarget(config, target);
  if (!strict(config)) return url;
  const addresses = await addressesOf(url.hostname);
  if (!addresses.length) throw new TargetRefused(`${url.hostname} has no address`);
  for (const { address } of addresses) {
    const problem = refusedAddress(address);
    if (problem) throw new TargetRefused(problem);
  }
  return url;
}

/**
 * The DNS lookup a delivery connects with: in production it resolves the host itself, refuses it when
 * any address is private, and hands the connection only the addresses it checked. Checking the URL
 * first and letting the connection resolve again would let a name that changes its answer between the
 * two (DNS rebinding) reach a private address.
 */
export function guardedLookup(config: Pick<Config, 'NODE_ENV'>): LookupFunction | undefined {
  if (!strict(config)) return undefined;
  return ((hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
    addressesOf(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const problem = refusedAddress(address);
          if (problem) return callback(new TargetRefused(problem));
        }
        if (!addresses.length) return callback(new TargetRefused(`${hostname} has no address`));
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        return callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error),
    );
  }) as unknown as LookupFunction;
}
