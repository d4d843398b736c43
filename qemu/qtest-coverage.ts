// QEMU's own migration tests against migstate: every qtest case in tests/qtest/migration/ (102,
// counting each conditional registration and the cancel/src/after/<status> loop's 8) and every
// functional test method (15: tcp, unix and exec for each of 5 targets), with what covers it here.
// Made from an inventory of QEMU master's test files; model-tests/qtest-coverage.test.ts checks that
// every reference names a real scenario or capability set, so a rename here fails a test.
//
// "covered": every QMP step of the case and its expected outcome is exercised by the refs taken
// together (one ref need not chain all steps). A step that only sets a capability or parameter the
// model accepts and no modelled step reads counts as exercised. "partly": the model accepts the
// sequence but lacks something the case checks, or nothing plays it. "not": a command, run state or
// outcome the case needs is not modelled.

/** What exercises a case. */
export type CoverRef =
  /** A model scenario: the exact `name` of one of allScenarios(getProfile(profile)) (model-tests/scenarios.ts). */
  | { model: string }
  /** A conformance scenario played on the real binaries: a name in qemu/scenarios.ts scenarioNames(). */
  | { conformance: string }
  /** The generated paths (model-tests/paths.test.ts) under this capability set, one entry of CAP_VARIANTS (machines/matrix.ts). */
  | { paths: readonly string[] };

export type Coverage = 'covered' | 'partly' | 'not';

export interface QtestCase {
  /** The qtest path (without the /<arch> prefix gtest adds), or the functional test id. */
  path: string;
  source: 'qtest' | 'functional';
  /** The QEMU file that registers it. */
  file: string;
  family: string;
  coverage: Coverage;
  /** The migstate profile whose QEMU has the feature and under which the model refs are read. */
  profile: string;
  covers: readonly CoverRef[];
  /** What the model lacks (required unless covered). */
  missing?: string;
}

const UUID = 'validate-uuid is in no scenario, and the UUID check (from -uuid on each command line) is not modelled';
const RDMA = 'rdma: is accepted as a scheme, but nothing RDMA-specific is modelled and no scenario or generated path migrates over rdma:';

// tls-tests.c: the certificates are outside the model (the issue's own terms); which way the session
// goes is the environment outcome each case names, played on both binaries with PSK keys and with
// x509 certificates from a test CA (qemu/scenarios.ts: tls-*). Not played: a hostile client (a
// certificate from another CA; QEMU refuses to load such a client's credentials unless its own CA
// signed them, so the qtest's setup was not reproduced) and tls-authz (friendly-client); the
// destination refuses those the way it refuses an anonymous client (tls-x509-reject-anon-client).
export const QTEST_CASES: readonly QtestCase[] = [
  // ---- tests/qtest/migration/precopy-tests.c ----
  { path: '/migration/precopy/unix/suspend/live', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/suspend/live' }, { conformance: 'suspend-live' }] },
  { path: '/migration/precopy/unix/suspend/notlive', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/suspend/notlive' }, { conformance: 'suspend-notlive' }] },
  { path: '/migration/precopy/unix/plain', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'precopy-active-probes-complete' }, { paths: ['events'] }] },
  // non-live: the source stopped before migrate, the destination completes paused and is continued (precopy/fd/tcp plays that order)
  { path: '/migration/precopy/tcp/plain', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'precopy/fd/tcp' }, { conformance: 'stopped-source-completes' }, { paths: ['events'] }] },
  // its second migration is this one; the libvirt-real trace is not a scenario, so not a ref
  { path: '/migration/multifd/tcp/uri/plain/none', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'multifd', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'multifd/tcp/plain/cancel' }, { paths: ['multifd'] }] },
  { path: '/migration/multifd/tcp/plain/cancel', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'multifd/tcp/plain/cancel' }, { conformance: 'precopy-cancel-active' }] },
  // master accepts multifd with postcopy-ram (10.0 refuses the pair: capConflict postcopy-multifd)
  { path: '/migration/multifd+postcopy/tcp/plain/cancel', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'multifd+postcopy/tcp/plain/cancel' }] },
  { path: '/migration/precopy/rdma/plain', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'partly', profile: 'qemu-master', covers: [{ paths: ['events'] }], missing: RDMA },
  { path: '/migration/precopy/rdma/plain/ipv6', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'partly', profile: 'qemu-master', covers: [{ paths: ['events'] }], missing: RDMA },
  { path: '/migration/precopy/tcp/plain/switchover-ack', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/plain/switchover-ack' }, { conformance: 'precopy-switchover-ack' }] },
  // getfd, fd:NAME and closefd are modelled now (closefd after the migration: not found, the URI took the fd)
  { path: '/migration/precopy/fd/tcp', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'precopy/fd/tcp' }] },
  { path: '/migration/auto_converge', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'throttling', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/auto_converge' }, { conformance: 'auto-converge-throttle' }] },
  { path: '/dirty_limit', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'throttling', coverage: 'not', profile: 'qemu-master', covers: [], missing: 'dirty-limit is always refused (capConflict dirty-limit-needs-dirty-ring: no KVM dirty-ring environment); query-vcpu-dirty-limit and the throttle counters are not modelled. Registered without the /migration prefix' },
  { path: '/migration/multifd/tcp/channels/plain/none', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'multifd', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/channels/plain/none' }, { conformance: 'multifd-channels' }] },
  // zero-page-detection is an accepted parameter that no modelled step reads
  { path: '/migration/multifd/tcp/plain/zero-page/legacy', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'multifd', coverage: 'covered', profile: 'qemu-master', covers: [{ paths: ['multifd'] }] },
  // zero-page-detection is an accepted parameter that no modelled step reads
  { path: '/migration/multifd/tcp/plain/zero-page/none', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'multifd', coverage: 'covered', profile: 'qemu-master', covers: [{ paths: ['multifd'] }] },
  // the KVM dirty ring is below QMP: the QMP sequence is precopy/unix/plain
  { path: '/migration/dirty_ring', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'precopy', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-active-probes-complete' }, { paths: ['events'] }] },
  { path: '/migration/vcpu_dirty_limit', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'throttling', coverage: 'not', profile: 'qemu-master', covers: [], missing: 'needs KVM with a dirty ring (the qtest starts -accel kvm,dirty-ring-size=4096): calc-dirty-rate mode dirty-ring and set-vcpu-dirty-limit are modelled as refused without one (conformance dirty-rate, as every machine here runs TCG), and the limit taking effect is a dirty rate the model does not measure. No migration is involved' },
  { path: '/migration/cancel/src/after/none', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/none' }, { conformance: 'precopy-defer-complete' }] },
  { path: '/migration/cancel/src/after/setup', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/setup' }, { conformance: 'setup-stalled-cancel-10.0' }] },
  { path: '/migration/cancel/src/after/cancelling', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/cancelling' }, { conformance: 'setup-stalled-cancel' }] },
  { path: '/migration/cancel/src/after/cancelled', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/cancelled' }, { conformance: 'precopy-cancel-active' }] },
  { path: '/migration/cancel/src/after/active', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/active' }, { conformance: 'precopy-cancel-active' }] },
  { path: '/migration/cancel/src/after/completed', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/completed' }, { conformance: 'precopy-defer-complete' }] },
  { path: '/migration/cancel/src/after/failed', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/failed' }, { conformance: 'failed-refused' }] },
  { path: '/migration/cancel/src/after/pre-switchover', source: 'qtest', file: 'tests/qtest/migration/precopy-tests.c', family: 'cancel', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'cancel/src/after/pre-switchover' }, { conformance: 'pre-switchover-cancel' }] },
  // ---- tests/qtest/migration/postcopy-tests.c ----
  // the postcopy-blocktime value read from query-migrate is not modelled (a counter, not a status)
  { path: '/migration/postcopy/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'postcopy with a pause and a recovery' }, { conformance: 'postcopy-complete' }, { paths: ['postcopy-ram'] }] },
  { path: '/migration/postcopy/recovery/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy-recovery', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'postcopy with a pause and a recovery' }, { conformance: 'postcopy-pause-recover' }, { conformance: 'postcopy-pause-destination' }] },
  { path: '/migration/postcopy/preempt/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/preempt/plain' }, { conformance: 'postcopy-preempt-pause-recover' }] },
  { path: '/migration/postcopy/preempt/recovery/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy-recovery', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/preempt/recovery/plain' }, { conformance: 'postcopy-preempt-pause-recover' }] },
  { path: '/migration/postcopy/recovery/double-failures/handshake', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy-recovery', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/recovery/double-failures/handshake' }, { conformance: 'postcopy-recover-silent-source-10.0' }, { conformance: 'postcopy-recover-silent-destination' }] },
  { path: '/migration/postcopy/recovery/double-failures/reconnect', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy-recovery', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/recovery/double-failures/reconnect' }, { conformance: 'postcopy-pause-recover' }, { conformance: 'postcopy-recover-silent-destination' }] },
  // master accepts multifd with postcopy-ram; the multifd channels themselves are below the model
  { path: '/migration/multifd+postcopy/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'multifd+postcopy/plain' }] },
  { path: '/migration/multifd+postcopy/preempt/plain', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd+postcopy/preempt/plain' }] },
  { path: '/migration/postcopy/suspend', source: 'qtest', file: 'tests/qtest/migration/postcopy-tests.c', family: 'postcopy', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/suspend' }, { conformance: 'suspend-postcopy' }] },
  // ---- tests/qtest/migration/tls-tests.c ----
  { path: '/migration/precopy/tcp/tls/psk/match', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/psk/match' }, { conformance: 'tls-psk-precopy' }] },
  // tls-creds reset to null is an accepted parameter; the flow is the non-live precopy
  { path: '/migration/precopy/tcp/no-tls', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'stopped-source-completes' }, { paths: ['events'] }] },
  { path: '/migration/precopy/tcp/tls/no-hostname', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/no-hostname' }, { conformance: 'tls-x509-mismatch-host' }, { conformance: 'tls-to-plain-destination' }] },
  { path: '/migration/precopy/unix/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/tls/psk' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/postcopy/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/tls/psk' }, { conformance: 'tls-psk-postcopy-pause-recover' }, { conformance: 'postcopy-complete' }, { paths: ['postcopy-ram'] }] },
  { path: '/migration/postcopy/recovery/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/recovery/tls/psk' }, { conformance: 'tls-psk-postcopy-pause-recover' }] },
  { path: '/migration/postcopy/preempt/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/preempt/tls/psk' }, { conformance: 'tls-psk-postcopy-preempt-pause-recover' }] },
  { path: '/migration/postcopy/preempt/recovery/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/postcopy/preempt/recovery/tls/psk' }, { conformance: 'tls-psk-postcopy-preempt-pause-recover' }] },
  { path: '/migration/multifd+postcopy/recovery/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd+postcopy/recovery/tls/psk' }] },
  { path: '/migration/multifd+postcopy/preempt/recovery/tls/psk', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd+postcopy/preempt/recovery/tls/psk' }] },
  { path: '/migration/precopy/unix/tls/x509/default-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/tls/x509/default-host' }, { conformance: 'tls-x509-mismatch-host' }, { conformance: 'tls-to-plain-destination' }] },
  { path: '/migration/precopy/unix/tls/x509/override-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/tls/x509/override-host' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/precopy/tcp/tls/psk/mismatch', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/psk/mismatch' }, { conformance: 'tls-psk-mismatch' }] },
  { path: '/migration/precopy/tcp/tls/x509/default-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/default-host' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/precopy/tcp/tls/x509/override-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/override-host' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/precopy/tcp/tls/x509/mismatch-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/mismatch-host' }, { conformance: 'tls-x509-mismatch-host' }, { conformance: 'tls-to-plain-destination' }] },
  { path: '/migration/precopy/tcp/tls/x509/friendly-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/friendly-client' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/precopy/tcp/tls/x509/hostile-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/hostile-client' }, { conformance: 'tls-x509-reject-anon-client' }, { conformance: 'plain-to-tls-destination' }] },
  { path: '/migration/precopy/tcp/tls/x509/allow-anon-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/allow-anon-client' }, { conformance: 'tls-x509-allow-anon-client' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/precopy/tcp/tls/x509/reject-anon-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/tcp/tls/x509/reject-anon-client' }, { conformance: 'tls-x509-reject-anon-client' }, { conformance: 'plain-to-tls-destination' }] },
  { path: '/migration/multifd/tcp/tls/psk/match', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/psk/match' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/multifd/tcp/tls/psk/mismatch', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/psk/mismatch' }, { conformance: 'tls-psk-mismatch' }] },
  { path: '/migration/multifd+postcopy/tcp/tls/psk/match', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd+postcopy/tcp/tls/psk/match' }] },
  { path: '/migration/multifd/tcp/tls/x509/default-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/x509/default-host' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/multifd/tcp/tls/x509/override-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/x509/override-host' }, { conformance: 'tls-x509-precopy' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/multifd/tcp/tls/x509/mismatch-host', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/x509/mismatch-host' }, { conformance: 'tls-x509-multifd-mismatch-host' }] },
  { path: '/migration/multifd/tcp/tls/x509/allow-anon-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/x509/allow-anon-client' }, { conformance: 'tls-x509-allow-anon-client' }, { conformance: 'tls-psk-precopy' }] },
  { path: '/migration/multifd/tcp/tls/x509/reject-anon-client', source: 'qtest', file: 'tests/qtest/migration/tls-tests.c', family: 'tls', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/tcp/tls/x509/reject-anon-client' }, { conformance: 'tls-x509-reject-anon-client' }] },
  // ---- tests/qtest/migration/compression-tests.c ----
  // the compression is below QMP: multifd-compression and its level are accepted parameters
  { path: '/migration/multifd/tcp/plain/zlib', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'covered', profile: 'qemu-master', covers: [{ paths: ['multifd'] }, { conformance: 'multifd-zlib' }] },
  // the compression is below QMP: multifd-compression and its level are accepted parameters
  { path: '/migration/multifd/tcp/plain/zstd', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'covered', profile: 'qemu-master', covers: [{ paths: ['multifd'] }, { conformance: 'multifd-zstd' }] },
  // precopy only: its second migration completes with multifd and postcopy-ram on
  { path: '/migration/multifd+postcopy/tcp/plain/zstd', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'multifd+postcopy/tcp/plain/cancel' }, { paths: ['multifd'] }] },
  { path: '/migration/multifd/tcp/plain/qatzip', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'not', profile: 'qemu-master', covers: [], missing: "no profile accepts multifd-compression 'qatzip': the QAPI value is build-conditional and no modelled build has it" },
  { path: '/migration/multifd/tcp/plain/qpl', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'not', profile: 'qemu-master', covers: [], missing: "no profile accepts multifd-compression 'qpl': the QAPI value is build-conditional and no modelled build has it" },
  { path: '/migration/multifd/tcp/plain/uadk', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'not', profile: 'qemu-master', covers: [], missing: "no profile accepts multifd-compression 'uadk': the QAPI value is build-conditional and no modelled build has it" },
  { path: '/migration/precopy/unix/xbzrle', source: 'qtest', file: 'tests/qtest/migration/compression-tests.c', family: 'compression', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/unix/xbzrle' }, { conformance: 'precopy-xbzrle' }] },
  // ---- tests/qtest/migration/file-tests.c ----
  { path: '/migration/precopy/file', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/file' }, { conformance: 'file-save-then-restore' }] },
  { path: '/migration/multifd/file/mapped-ram/dio', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-10.0', covers: [{ model: '/migration/multifd/file/mapped-ram/dio' }, { conformance: 'file-mapped-ram-dio-save-then-restore' }] },
  { path: '/migration/precopy/file/offset', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/file/offset' }, { conformance: 'file-offset-save-then-restore' }] },
  { path: '/migration/precopy/file/offset/fdset', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/file/offset/fdset' }, { conformance: 'fdset-missing' }] },
  // the model now parses the file: offset (the inventory found it accepted)
  { path: '/migration/precopy/file/offset/bad', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'precopy/file/offset/bad' }] },
  { path: '/migration/precopy/file/mapped-ram', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/file/mapped-ram' }, { conformance: 'file-mapped-ram-save-then-restore' }] },
  { path: '/migration/precopy/file/mapped-ram/live', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/precopy/file/mapped-ram/live' }, { conformance: 'file-mapped-ram-save-then-restore' }] },
  { path: '/migration/multifd/file/mapped-ram', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/file/mapped-ram' }, { conformance: 'file-mapped-ram-save-then-restore' }] },
  { path: '/migration/multifd/file/mapped-ram/live', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/file/mapped-ram/live' }, { conformance: 'file-mapped-ram-save-then-restore' }] },
  { path: '/migration/multifd/file/mapped-ram/fdset', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/file/mapped-ram/fdset' }, { conformance: 'fdset-missing' }] },
  { path: '/migration/multifd/file/mapped-ram/fdset/dio', source: 'qtest', file: 'tests/qtest/migration/file-tests.c', family: 'file/mapped-ram', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/multifd/file/mapped-ram/fdset/dio' }, { conformance: 'fdset-missing' }] },
  // ---- tests/qtest/migration/cpr-tests.c ----
  { path: '/migration/mode/reboot', source: 'qtest', file: 'tests/qtest/migration/cpr-tests.c', family: 'cpr', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/mode/reboot' }, { conformance: 'file-cpr-reboot-save-then-restore' }] },
  { path: '/migration/mode/transfer', source: 'qtest', file: 'tests/qtest/migration/cpr-tests.c', family: 'cpr', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/mode/transfer' }] },
  { path: '/migration/mode/transfer/defer', source: 'qtest', file: 'tests/qtest/migration/cpr-tests.c', family: 'cpr', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/mode/transfer/defer' }] },
  { path: '/migration/mode/exec', source: 'qtest', file: 'tests/qtest/migration/cpr-tests.c', family: 'cpr', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/mode/exec' }] },
  // ---- tests/qtest/migration/misc-tests.c ----
  // the same exec:cat > file save; validate-uuid and x-ignore-shared only add vmstate subsections for the script, which is outside QMP
  { path: '/migration/analyze-script', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-10.0', covers: [{ conformance: 'save-then-restore' }] },
  { path: '/migration/bad_dest', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'failed-refused' }, { model: 'cancel/src/after/failed' }] },
  { path: '/migration/ignore-shared', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/ignore-shared' }, { conformance: 'precopy-ignore-shared' }] },
  { path: '/migration/validate_uuid', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/validate_uuid' }, { conformance: 'uuid-validated' }] },
  { path: '/migration/validate_uuid_error', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/validate_uuid_error' }, { conformance: 'uuid-mismatch' }] },
  { path: '/migration/validate_uuid_src_not_set', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/validate_uuid_src_not_set' }, { conformance: 'uuid-validated' }] },
  { path: '/migration/validate_uuid_dst_not_set', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: '/migration/validate_uuid_dst_not_set' }, { conformance: 'uuid-destination-not-set' }] },
  // refused now (uriNotExactlyOne); the inventory found it accepted
  { path: '/migration/validate_uri/channels/both_set', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'validate_uri/channels/both_set' }] },
  // the conformance probe migrate-no-uri sends migrate {} in every scenario
  { path: '/migration/validate_uri/channels/none_set', source: 'qtest', file: 'tests/qtest/migration/misc-tests.c', family: 'misc/validate/bad-dest', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'validate_uri/channels/none_set' }, { conformance: 'precopy-defer-complete' }] },
  // ---- tests/qtest/migration/colo-tests.c ----
  // plain: the scenario starts the destination with -incoming tcp: and sets caps after; colo-tests.c now uses defer, caps, migrate-incoming (the order the multifd variants play; master takes both)
  { path: '/migration/colo/plain/primary_failover', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/plain/primary_failover' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  // plain: the scenario starts the destination with -incoming tcp: and sets caps after; colo-tests.c now uses defer, caps, migrate-incoming (the order the multifd variants play; master takes both)
  { path: '/migration/colo/plain/primary_failover_checkpoint', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/plain/primary_failover_checkpoint' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  // plain: the scenario starts the destination with -incoming tcp: and sets caps after; colo-tests.c now uses defer, caps, migrate-incoming (the order the multifd variants play; master takes both)
  { path: '/migration/colo/plain/secondary_failover', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/plain/secondary_failover' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  // plain: the scenario starts the destination with -incoming tcp: and sets caps after; colo-tests.c now uses defer, caps, migrate-incoming (the order the multifd variants play; master takes both)
  { path: '/migration/colo/plain/secondary_failover_checkpoint', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/plain/secondary_failover_checkpoint' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  { path: '/migration/colo/multifd/primary_failover', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/multifd/primary_failover' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  { path: '/migration/colo/multifd/primary_failover_checkpoint', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/multifd/primary_failover_checkpoint' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  { path: '/migration/colo/multifd/secondary_failover', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/multifd/secondary_failover' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  { path: '/migration/colo/multifd/secondary_failover_checkpoint', source: 'qtest', file: 'tests/qtest/migration/colo-tests.c', family: 'colo', coverage: 'covered', profile: 'qemu-master', covers: [{ model: 'colo/multifd/secondary_failover_checkpoint' }, { conformance: 'colo-destination-failover' }, { conformance: 'colo-checkpoint-kvm' }] },
  // ---- tests/functional/arm/test_migration.py ----
  { path: 'tests/functional/arm/test_migration.py::test_migration_with_tcp_localhost', source: 'functional', file: 'tests/functional/arm/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/arm/test_migration.py::test_migration_with_unix', source: 'functional', file: 'tests/functional/arm/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/arm/test_migration.py::test_migration_with_exec', source: 'functional', file: 'tests/functional/arm/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  // ---- tests/functional/alpha/test_migration.py ----
  { path: 'tests/functional/alpha/test_migration.py::test_migration_with_tcp_localhost', source: 'functional', file: 'tests/functional/alpha/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/alpha/test_migration.py::test_migration_with_unix', source: 'functional', file: 'tests/functional/alpha/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/alpha/test_migration.py::test_migration_with_exec', source: 'functional', file: 'tests/functional/alpha/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  // ---- tests/functional/i386/test_migration.py ----
  { path: 'tests/functional/i386/test_migration.py::test_migration_with_tcp_localhost', source: 'functional', file: 'tests/functional/i386/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/i386/test_migration.py::test_migration_with_unix', source: 'functional', file: 'tests/functional/i386/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/i386/test_migration.py::test_migration_with_exec', source: 'functional', file: 'tests/functional/i386/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  // ---- tests/functional/ppc/test_migration.py ----
  { path: 'tests/functional/ppc/test_migration.py::test_migration_with_tcp_localhost', source: 'functional', file: 'tests/functional/ppc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/ppc/test_migration.py::test_migration_with_unix', source: 'functional', file: 'tests/functional/ppc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/ppc/test_migration.py::test_migration_with_exec', source: 'functional', file: 'tests/functional/ppc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  // ---- tests/functional/sparc/test_migration.py ----
  { path: 'tests/functional/sparc/test_migration.py::test_migration_with_tcp_localhost', source: 'functional', file: 'tests/functional/sparc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/sparc/test_migration.py::test_migration_with_unix', source: 'functional', file: 'tests/functional/sparc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
  { path: 'tests/functional/sparc/test_migration.py::test_migration_with_exec', source: 'functional', file: 'tests/functional/sparc/test_migration.py', family: 'functional', coverage: 'covered', profile: 'qemu-master', covers: [{ conformance: 'precopy-defer-complete' }, { conformance: 'save-then-restore' }, { paths: [] }] },
];

/** The families in table order (the order of QTEST_CASES). */
export function qtestFamilies(): string[] {
  return [...new Set(QTEST_CASES.map((c) => c.family))];
}

export interface FamilyCount {
  family: string;
  total: number;
  covered: number;
  partly: number;
  not: number;
}

/** Per family: total, covered, partly, not; qtest families first, then functional. */
export function qtestCoverageCounts(): FamilyCount[] {
  return qtestFamilies().map((family) => {
    const cs = QTEST_CASES.filter((c) => c.family === family);
    const n = (v: Coverage) => cs.filter((c) => c.coverage === v).length;
    return { family, total: cs.length, covered: n('covered'), partly: n('partly'), not: n('not') };
  });
}
