// Trims a libvirt debug log to what the importer reads, for a fixture: the monitor records
// (QEMU_MONITOR_SEND_MSG, _RECV_REPLY, _RECV_EVENT, _NEW, _CLOSE), the greetings, the daemon's start
// lines and libvirt's warnings about migration statuses it does not know; the IO_WRITE copy of each
// command goes (the importer drops it anyway). Replies longer than 1,500 characters that are not
// about migration (libvirt's capability probe: the QMP schema, CPU models, device properties) become
// an empty list with the same id, so every command keeps its reply. libvirt's QOM probing (qom-get
// of every CPU feature, device-list-properties, qom-list) goes with its replies: no migration
// command, and a thousand of them per process.
// Usage: npx tsx scripts/trim-libvirt-log.ts LOG > FIXTURE
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  process.stderr.write('usage: npx tsx scripts/trim-libvirt-log.ts LOG > FIXTURE\n');
  process.exit(2);
}
const KEEP = /QEMU_MONITOR_(SEND_MSG|RECV_REPLY|RECV_EVENT|NEW|CLOSE)\b|: info : libvirt version: |qemuMonitorJSONIOProcessLine:\d+ : Line \[\{"QMP"|qemuMonitorJSONHandleMigrationStatus/;
const MIGRATION = /"capability"|"status"|"migration"|"announce-|"max-bandwidth"|"running"/;
const PROBING = /"execute":"(qom-get|qom-list|qom-list-properties|device-list-properties)".*"id":"([^"]+)"/;
const dropped = new Set<string>();
const out: string[] = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!KEEP.test(line)) continue;
  const probe = line.includes('QEMU_MONITOR_SEND_MSG') ? PROBING.exec(line) : null;
  if (probe) {
    dropped.add(probe[2]);
    continue;
  }
  const rid = line.includes('QEMU_MONITOR_RECV_REPLY') ? /"id": "(libvirt-\d+)"/.exec(line) : null;
  if (rid && dropped.delete(rid[1])) continue;
  const m = /^(.*QEMU_MONITOR_RECV_REPLY: mon=0x[0-9a-f]+ reply=)(\{"return": .*)$/.exec(line);
  if (m && m[2].length > 1500 && !MIGRATION.test(m[2].slice(0, 400))) {
    const id = /"id": ("[^"]*")\}$/.exec(m[2]);
    if (id) {
      out.push(`${m[1]}{"return": [], "id": ${id[1]}}`);
      continue;
    }
  }
  out.push(line);
}
process.stdout.write(out.join('\n') + '\n');
