import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../../src/stack/address.js';
import { MIN_PMTU_V4, MIN_PMTU_V6, PMTU_EXPIRY_MS, PathMtuCache, plateauBelow } from '../../src/stack/pmtu.js';
import { parsePrefixOrThrow } from '../../src/stack/routing.js';

const v4 = parseIp('192.0.2.1')!;
const v6 = parseIp('2001:db8::1')!;

test('path MTU cache: learns lower values only, floors per family, expires after 10 minutes (RFC 1191 §6.3, RFC 8201 §4)', () => {
  let now = 0;
  const c = new PathMtuCache(() => now);
  assert.equal(c.get(v4, 1500), 1500);
  assert.equal(c.lower(v4, 1400, 1500), 1400);
  assert.equal(c.get(v4, 1500), 1400);
  assert.equal(c.lower(v4, 1450, 1500), 1400, 'never raised by ICMP');
  assert.equal(c.lower(v4, 100, 1500), MIN_PMTU_V4);
  assert.equal(c.lower(v6, 600, 1500), MIN_PMTU_V6, 'RFC 8201 §4: never below 1280');
  assert.equal(c.get(v6, 1000), 1000, 'a smaller route MTU wins');
  now = PMTU_EXPIRY_MS + 1;
  assert.equal(c.get(v4, 1500), 1500);
  assert.equal(c.get(v6, 1500), 1500);
});

test('RFC 1191 §5 plateaus for a zero Next-Hop MTU', () => {
  assert.equal(plateauBelow(1500), 1492);
  assert.equal(plateauBelow(1492), 1006);
  assert.equal(plateauBelow(9000), 8166);
  assert.equal(plateauBelow(60), 68);
});

test('addresses: either family, canonical text, IPv4-mapped IPv6 is IPv4, prefixes checked', () => {
  assert.equal(parseIp('2001:DB8:0:0::1')!.text, '2001:db8::1');
  assert.equal(parseIp('[::1]')!.text, '::1');
  const mapped = parseIp('::ffff:10.1.2.3')!;
  assert.equal(mapped.family, 4);
  assert.equal(mapped.text, '10.1.2.3');
  assert.equal(parseIp('10.1.2'), undefined);
  assert.equal(parseIp('fe80::1::2'), undefined);
  assert.deepEqual(
    (({ address, prefixLength }) => ({ a: address.text, prefixLength }))(parsePrefixOrThrow('fd00::2/64')),
    { a: 'fd00::2', prefixLength: 64 },
  );
  assert.equal(parsePrefixOrThrow('10.0.0.1').prefixLength, 32);
  assert.equal(parsePrefixOrThrow('fd00::1').prefixLength, 128);
  assert.throws(() => parsePrefixOrThrow('10.0.0.1/33'), /EINVAL/);
  assert.throws(() => parsePrefixOrThrow('fd00::1/129'), /EINVAL/);
});
