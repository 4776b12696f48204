import type http from 'node:http';
import { isIPv6 } from 'node:net';

/**
 * The address a request comes from, as throttles and connection caps count it. With
 * `trustedProxies` = N > 0 the API runs behind N proxies that each append to `X-Forwarded-For`,
 * and the client is the N-th entry from the right (entries further left are whatever the client
 * wrote, so they are never believed). IPv6 addresses count per /64, the block one host gets.
 *
 * @example
 * clientAddress(req, 0); // '203.0.113.7' (the socket's peer)
 * clientAddress(req, 1); // the address the load balancer saw
 */
export function clientAddress(req: http.IncomingMessage, trustedProxies = 0): string {
  let address = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxies > 0) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    const client = hops[hops.length - trustedProxies];
    if (client) address = client;
  }
  return addressKey(address);
}

/** An address as a key: IPv4-mapped IPv6 as IPv4, IPv6 reduced to its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address.replace(/[^a-zA-Z0-9.:-]/g, '_').slice(0, 64);
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('%')[0]?.split('::') ?? [];
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const zeros = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
  return [...left, ...(address.includes('::') ? zeros : []), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}
