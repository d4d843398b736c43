// Test credentials for TLS conformance scenarios, made per run in the run's private folder: a
// throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate it signed
// (the layout tls-creds-x509 reads from its dir: ca-cert.pem, server-cert.pem / server-key.pem,
// client-cert.pem / client-key.pem), and a folder with the CA alone (an anonymous client). Made with
// the openssl command (Debian's openssl package), which .ci/run installs where it is missing.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface X509Dirs {
  /** For the destination (endpoint server). */
  server: string;
  /** For the source (endpoint client), with a client certificate. */
  client: string;
  /** For the source, with no client certificate: what verify-peer on the server refuses. */
  anon: string;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('TLS scenarios need the openssl command to make test certificates (Debian package openssl)');
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${(err.stderr ?? err.message).trim().split('\n')[0]}`);
  }
}

/** Makes the three folders under `root` (a fresh folder private to the run). */
export async function makeX509Dirs(root: string): Promise<X509Dirs> {
  const ca = join(root, 'x509-ca');
  mkdirSync(ca, { recursive: true, mode: 0o700 });
  const days = ['-days', '2'];
  await openssl(ca, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca-cert.pem', ...days, '-subj', '/O=migstate/CN=migstate test CA']);
  const usage = 'keyUsage=digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n';
  writeFileSync(join(ca, 'server.ext'), `subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n${usage}`);
  writeFileSync(join(ca, 'client.ext'), `extendedKeyUsage=clientAuth\n${usage}`);
  for (const [who, cn] of [['server', 'localhost'], ['client', 'migstate client']] as const) {
    await openssl(ca, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/O=migstate/CN=${cn}`]);
    await openssl(ca, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca-cert.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}-cert.pem`, ...days, '-extfile', `${who}.ext`]);
  }
  const dirs: X509Dirs = { server: join(root, 'x509-server'), client: join(root, 'x509-client'), anon: join(root, 'x509-anon') };
  const files: Record<keyof X509Dirs, string[]> = { server: ['server-cert.pem', 'server-key.pem'], client: ['client-cert.pem', 'client-key.pem'], anon: [] };
  for (const k of Object.keys(dirs) as (keyof X509Dirs)[]) {
    mkdirSync(dirs[k], { mode: 0o700 });
    for (const f of ['ca-cert.pem', ...files[k]]) copyFileSync(join(ca, f), join(dirs[k], f));
  }
  return dirs;
}
