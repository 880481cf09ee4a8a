// A real OpenLDAP slapd for the LDAP auth tests: a child process on a free
// loopback port with its own slapd.conf and mdb database in a directory of
// ours, loaded with slapadd. Users live under ou=people; ou=other is outside
// the search base; cn=xmpp,ou=services is the service account that searches.
// It can be stopped and started again on the same port (outage tests).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild, waitForPort } from './stack.mjs';

const SLAPD = '/usr/sbin/slapd';
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];

const hash = (password) => execFileSync('slappasswd', ['-s', password], { encoding: 'utf8' }).trim();

/** A self-signed certificate for localhost and 127.0.0.1 (it is its own CA for the client). */
function certificate(dir) {
  const certFile = join(dir, 'ldap-cert.pem');
  const keyFile = join(dir, 'ldap-key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

function slapdConf(dir, suffix, rootDn, rootPassword, tls) {
  return [
    ...SCHEMAS.map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(tls ? [`TLSCertificateFile ${tls.certFile}`, `TLSCertificateKeyFile ${tls.keyFile}`] : []),
    'database mdb',
    'maxsize 16777216',
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${hash(rootPassword)}`,
    `directory ${join(dir, 'data')}`,
    // Anonymous clients may only bind: the search must use the service account.
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by anonymous auth by users read',
    '',
  ].join('\n');
}

function entry(dn, attrs) {
  return [`dn: ${dn}`, ...Object.entries(attrs).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`)), ''].join('\n');
}

function userEntry(suffix, { uid, password, ou = 'people' }, n) {
  return entry(`uid=${uid},ou=${ou},${suffix}`, {
    objectClass: ['inetOrgPerson', 'posixAccount'],
    uid,
    cn: uid,
    sn: uid,
    uidNumber: String(10000 + n),
    gidNumber: '10000',
    homeDirectory: `/home/${uid}`,
    userPassword: hash(password),
  });
}

function seed(suffix, servicePassword, users) {
  const dc = /^dc=([^,]+)/.exec(suffix)?.[1] ?? 'example';
  return [
    entry(suffix, { objectClass: ['top', 'dcObject', 'organization'], dc, o: dc }),
    ...['people', 'other', 'services'].map((ou) => entry(`ou=${ou},${suffix}`, { objectClass: 'organizationalUnit', ou })),
    entry(`cn=xmpp,ou=services,${suffix}`, { objectClass: ['applicationProcess', 'simpleSecurityObject'], cn: 'xmpp', userPassword: hash(servicePassword) }),
    ...users.map((u, i) => userEntry(suffix, u, i)),
  ].join('\n');
}

/**
 * Start slapd with `users` ({ uid, password, ou? = 'people' }) loaded; with
 * `tls`, ldap:// offers StartTLS and an ldaps:// listener runs too.
 */
export async function startSlapd({
  dir = mkdtempSync(join(tmpdir(), 'cx-slapd-')),
  suffix = 'dc=example,dc=org',
  users = [],
  tls = false,
  onLine = () => {},
} = {}) {
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'admin-secret';
  const servicePassword = 'service-secret';
  mkdirSync(join(dir, 'data'), { recursive: true });
  const certs = tls ? certificate(dir) : null;
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(dir, suffix, rootDn, rootPassword, certs));
  writeFileSync(join(dir, 'seed.ldif'), seed(suffix, servicePassword, users));
  execFileSync('slapadd', ['-q', '-f', conf, '-l', join(dir, 'seed.ldif')], { stdio: 'pipe' });
  const port = await freePort();
  const tlsPort = certs ? await freePort() : null;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])];
  let child = null;
  const start = async () => {
    child = spawn(SLAPD, ['-d', '0', '-h', urls.join(' '), '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => onLine(String(d)));
    child.stderr.on('data', (d) => onLine(String(d)));
    const exited = new Promise((_, rej) => child.once('exit', (code) => rej(new Error(`slapd exited with ${code}`))));
    exited.catch(() => {});
    await Promise.race([Promise.all([port, tlsPort].filter(Boolean).map((p) => waitForPort(p, 10000))), exited]);
  };
  const modify = (ldif) =>
    execFileSync('ldapmodify', ['-x', '-H', urls[0], '-D', rootDn, '-w', rootPassword], { input: ldif, stdio: ['pipe', 'ignore', 'pipe'] });
  await start();
  return {
    dir,
    suffix,
    url: urls[0],
    ldapsUrl: tlsPort ? urls[1] : null,
    port,
    base: `ou=people,${suffix}`,
    caFile: certs?.certFile ?? null,
    rootDn,
    rootPassword,
    serviceDn: `cn=xmpp,ou=services,${suffix}`,
    servicePassword,
    start,
    stop: () => (child ? stopChild(child) : Promise.resolve()),
    /** Change a user's password in the directory. */
    setPassword(uid, password, ou = 'people') {
      modify(`dn: uid=${uid},ou=${ou},${suffix}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${hash(password)}\n`);
    },
    addUser(user, n = Date.now() % 100000) {
      modify(userEntry(suffix, user, n).replace(/^(dn: .*)\n/, '$1\nchangetype: add\n'));
    },
  };
}
