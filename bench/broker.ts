/**
 * `broker` benchmark: the Kibitz broker vs the PeerJS server (npm `peer`), side by side, same run,
 * same signaling pattern, same load-generator code path. See README.md for methodology.
 */
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  kibitzTransport,
  rawTransport,
  kibitzWireTransport,
  peerjsTransport,
  type Transport,
} from './lib/clients.js'
import { bundleEntry } from './lib/bundle.js'
import { startEntry, type ServerProcess } from './lib/proc.js'
import { runIdle, runRelay, type IdleResult, type RelayResult } from './lib/relay-load.js'
import { BENCH_DIR, REPO_DIR, writeResult, type FlatResult } from './lib/results.js'
import { round } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const log = (s: string) => console.error(s)

export interface BrokerBenchOptions {
  sockets: number
  perRoom: number
  window: number
  payloadBytes: number
  warmupMs: number
  measureMs: number
  rounds: number
  idleSockets: number
  idlePeerjs: boolean
  /** Extra flags for the Kibitz broker CLI (e.g. --rate/--burst); none by default. */
  brokerArgs: string[]
  /** `node`: servers run as plain-node bundles of their source (default); `tsx`: tsx on the source. */
  runtime: 'node' | 'tsx'
  /** Write V8 CPU profiles of both servers to results/profiles/ (node --cpu-prof). */
  profile: boolean
  /** Open-loop latency phase: total frames/s offered to every system alike (0 = skip). */
  pacedFps: number
  /** Kibitz relay load generator: the raw socket.io wire over `ws`, or the real socket.io-client. */
  client: 'wire' | 'socket.io-client'
}

// Resolved from bench/ so children started with cwd at the repo root find it too.
const TSX = ['--import', import.meta.resolve('tsx')]
const profileArgs = (o: BrokerBenchOptions) =>
  o.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(BENCH_DIR, 'results/profiles')}`] : []

/** How each server process is started: a plain-node bundle of its entry, or tsx on the source. */
const entries = { kibitz: '', peerjs: '', raw: '' }

async function prepareEntries(o: BrokerBenchOptions): Promise<void> {
  const kibitz = join(REPO_DIR, 'packages/broker/src/cli.ts')
  if (!existsSync(kibitz)) throw new Error(`broker CLI not found at ${kibitz}`)
  const peerjs = join(BENCH_DIR, 'lib/peerjs-server.ts')
  const raw = join(BENCH_DIR, 'lib/raw-relay-server.ts')
  if (o.runtime === 'tsx') {
    Object.assign(entries, { kibitz, peerjs, raw })
    return
  }
  try {
    entries.kibitz = await bundleEntry(kibitz, 'kibitz-broker')
    entries.peerjs = await bundleEntry(peerjs, 'peerjs-server')
    entries.raw = await bundleEntry(raw, 'raw-relay-server')
  } catch (e) {
    throw new Error(
      `bundling the servers failed (try --runtime tsx): ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}

const runtimeArgs = (o: BrokerBenchOptions) => [
  ...profileArgs(o),
  ...(o.runtime === 'tsx' ? TSX : []),
]

function startKibitz(o: BrokerBenchOptions): Promise<ServerProcess> {
  return startEntry({
    name: 'kibitz broker',
    // The source condition makes workspace imports resolve to src/ (no build step needed).
    nodeArgs: ['--conditions=@kibitz/source', ...runtimeArgs(o)],
    entry: entries.kibitz,
    args: ['--host', '127.0.0.1', ...o.brokerArgs],
    cwd: REPO_DIR,
  })
}

const startPeerjs = (o: BrokerBenchOptions): Promise<ServerProcess> =>
  startEntry({
    name: 'peerjs server',
    nodeArgs: runtimeArgs(o),
    entry: entries.peerjs,
    cwd: REPO_DIR,
  })

const startRaw = (o: BrokerBenchOptions): Promise<ServerProcess> =>
  startEntry({ name: 'raw relay', nodeArgs: runtimeArgs(o), entry: entries.raw, cwd: REPO_DIR })

async function withServer<T>(
  start: () => Promise<ServerProcess>,
  fn: (s: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await start()
  try {
    return await fn(server)
  } catch (e) {
    log(`--- ${server.name} output (tail) ---\n${server.output().slice(-3000)}`)
    throw e
  } finally {
    await server.stop()
  }
}

async function relayOnce(
  name: string,
  start: () => Promise<ServerProcess>,
  transport: (url: string) => Transport,
  o: BrokerBenchOptions,
): Promise<RelayResult> {
  return withServer(start, async (server) => {
    log(
      `${name}: relay, ${o.sockets} sockets / ${o.sockets / o.perRoom} rooms, window ${o.window}, ${o.payloadBytes} B (pid ${server.pid})`,
    )
    const r = await runRelay(transport(server.url), {
      sockets: o.sockets,
      perRoom: o.perRoom,
      window: o.window,
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
      batch: 100,
      serverPid: server.pid,
      pacedFps: o.pacedFps,
      pacedMs: 5000,
    })
    log(
      `${name}: ${Math.round(r.fps)} frames/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, ` +
        `server cpu ${r.serverCpu.toFixed(2)}, generator cpu ${r.generatorCpu.toFixed(2)}, refused ${r.refused}, lost ${r.lost}`,
    )
    return r
  })
}

async function idleOnce(
  name: string,
  start: () => Promise<ServerProcess>,
  transport: (url: string) => Transport,
  o: BrokerBenchOptions,
): Promise<IdleResult> {
  return withServer(start, async (server) => {
    log(`${name}: ${o.idleSockets} idle sockets (pid ${server.pid})`)
    const r = await runIdle(
      transport(server.url),
      {
        sockets: o.idleSockets,
        perRoom: o.perRoom,
        batch: 200,
        serverPid: server.pid,
        settleMs: 3000,
      },
      log,
    )
    log(
      `${name}: RSS ${r.rssMb.toFixed(1)} MB (empty ${r.baselineRssMb.toFixed(1)} MB), connected in ${(r.connectMs / 1000).toFixed(1)} s`,
    )
    return r
  })
}

/** The round with the median throughput (rounds alternate systems to spread machine noise). */
function median(rs: RelayResult[]): RelayResult {
  const s = [...rs].sort((a, b) => a.fps - b.fps)
  return s[Math.floor((s.length - 1) / 2)]!
}

export async function runBrokerBench(o: BrokerBenchOptions): Promise<FlatResult> {
  const t0 = performance.now()
  await prepareEntries(o)
  const loadAtStart = loadavg()[0]!
  if (loadAtStart > 0.5)
    log(
      `warning: 1-minute load average is ${loadAtStart.toFixed(2)} before start; other work on this machine skews results`,
    )
  // Relay: the lean wire client by default (same raw-ws path as the PeerJS generator), or the real
  // socket.io-client. Idle: always the real socket.io-client (what a browser tab holds open).
  const kib = (url: string) =>
    (o.client === 'wire' ? kibitzWireTransport : kibitzTransport)(url, o.payloadBytes)
  const kibIdle = (url: string) => kibitzTransport(url, o.payloadBytes)
  const pjs = (url: string) => peerjsTransport(url, o.payloadBytes)
  const rawT = (url: string) => rawTransport(url, o.payloadBytes)
  const ours: RelayResult[] = []
  const theirs: RelayResult[] = []
  const floor: RelayResult[] = []
  const systems = [
    () => relayOnce('kibitz', () => startKibitz(o), kib, o).then((r) => void ours.push(r)),
    () => relayOnce('peerjs', () => startPeerjs(o), pjs, o).then((r) => void theirs.push(r)),
    () => relayOnce('raw', () => startRaw(o), rawT, o).then((r) => void floor.push(r)),
  ]
  for (let r = 0; r < o.rounds; r++) {
    // Rotate who goes first so drift (thermal, page cache, other tenants) hits all three.
    for (let i = 0; i < systems.length; i++) await systems[(i + r) % systems.length]!()
  }
  const k = median(ours)
  const p = median(theirs)
  const f = median(floor)
  const ki = await idleOnce('kibitz', () => startKibitz(o), kibIdle, o)
  const pi = o.idlePeerjs ? await idleOnce('peerjs', () => startPeerjs(o), pjs, o) : null

  const per1000 = (i: IdleResult) => ((i.rssMb - i.baselineRssMb) * 1000) / o.idleSockets
  const throughputRatio = k.fps / p.fps
  const result: FlatResult = {
    relay_fps: round(k.fps, 0),
    relay_p50_ms: round(k.latency.p50, 3),
    relay_p90_ms: round(k.latency.p90, 3),
    relay_p99_ms: round(k.latency.p99, 3),
    relay_max_ms: round(k.latency.max, 3),
    relay_rss_mb: round(k.serverRssMb, 1),
    relay_server_cpu_cores: round(k.serverCpu, 2),
    relay_generator_cpu_cores: round(k.generatorCpu, 2),
    relay_server_us_per_frame: round((k.serverCpu * 1e6) / k.fps, 1),
    relay_generator_us_per_frame: round((k.generatorCpu * 1e6) / k.fps, 1),
    relay_refused: k.refused,
    relay_lost: k.lost,
    relay_per_socket_fps: round(k.perSocketFps, 1),
    peerjs_relay_fps: round(p.fps, 0),
    peerjs_relay_p50_ms: round(p.latency.p50, 3),
    peerjs_relay_p90_ms: round(p.latency.p90, 3),
    peerjs_relay_p99_ms: round(p.latency.p99, 3),
    peerjs_relay_max_ms: round(p.latency.max, 3),
    peerjs_relay_rss_mb: round(p.serverRssMb, 1),
    peerjs_relay_server_cpu_cores: round(p.serverCpu, 2),
    peerjs_relay_generator_cpu_cores: round(p.generatorCpu, 2),
    peerjs_relay_server_us_per_frame: round((p.serverCpu * 1e6) / p.fps, 1),
    peerjs_relay_generator_us_per_frame: round((p.generatorCpu * 1e6) / p.fps, 1),
    peerjs_relay_lost: p.lost,
    paced_offered_fps: o.pacedFps,
    paced_p50_ms: round(k.pacedLatency?.p50 ?? NaN, 3),
    paced_p99_ms: round(k.pacedLatency?.p99 ?? NaN, 3),
    peerjs_paced_p50_ms: round(p.pacedLatency?.p50 ?? NaN, 3),
    peerjs_paced_p99_ms: round(p.pacedLatency?.p99 ?? NaN, 3),
    raw_paced_p50_ms: round(f.pacedLatency?.p50 ?? NaN, 3),
    raw_paced_p99_ms: round(f.pacedLatency?.p99 ?? NaN, 3),
    paced_p99_ratio: round((k.pacedLatency?.p99 ?? NaN) / (p.pacedLatency?.p99 ?? NaN), 3),
    raw_relay_fps: round(f.fps, 0),
    raw_relay_p50_ms: round(f.latency.p50, 3),
    raw_relay_p99_ms: round(f.latency.p99, 3),
    raw_relay_server_cpu_cores: round(f.serverCpu, 2),
    raw_relay_server_us_per_frame: round((f.serverCpu * 1e6) / f.fps, 1),
    raw_relay_generator_us_per_frame: round((f.generatorCpu * 1e6) / f.fps, 1),
    peerjs_vs_raw_server_us_ratio: round(p.serverCpu / p.fps / (f.serverCpu / f.fps), 3),
    kibitz_vs_raw_server_us_ratio: round(k.serverCpu / k.fps / (f.serverCpu / f.fps), 3),
    server_cpu_per_frame_ratio: round(k.serverCpu / k.fps / (p.serverCpu / p.fps), 3),
    throughput_ratio: round(throughputRatio, 3),
    p99_ratio: round(k.latency.p99 / p.latency.p99, 3),
    rss_mb_10000_idle: round(ki.rssMb, 1),
    rss_mb_idle_empty: round(ki.baselineRssMb, 1),
    rss_mb_per_1000_idle: round(per1000(ki), 2),
    idle_sockets: o.idleSockets,
    idle_connect_s: round(ki.connectMs / 1000, 1),
    ...(pi
      ? {
          peerjs_rss_mb_10000_idle: round(pi.rssMb, 1),
          peerjs_rss_mb_idle_empty: round(pi.baselineRssMb, 1),
          peerjs_rss_mb_per_1000_idle: round(per1000(pi), 2),
        }
      : {}),
    target_throughput_met: throughputRatio >= 1.5 ? 1 : 0,
    target_p99_met: k.latency.p99 <= p.latency.p99 ? 1 : 0,
    target_idle_rss_met: ki.rssMb <= 256 && o.idleSockets >= 10_000 && ki.disconnects === 0 ? 1 : 0,
    sockets: o.sockets,
    rooms: o.sockets / o.perRoom,
    window_per_client: o.window,
    payload_bytes: o.payloadBytes,
    measure_s: o.measureMs / 1000,
    rounds: o.rounds,
    kibitz_default_rate_limit: o.brokerArgs.some(
      (a) => a.startsWith('--rate') || a.startsWith('--burst'),
    )
      ? 0
      : 1,
    server_runtime_tsx: o.runtime === 'tsx' ? 1 : 0,
    relay_client_socketio_client: o.client === 'socket.io-client' ? 1 : 0,
    loadavg_1m_at_start: round(loadAtStart, 2),
    wall_s: round((performance.now() - t0) / 1000, 1),
  }

  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–')
  // Raw-floor cells, in the same order as the rows below (blank where it has no such metric).
  const rawCells: (string | number)[] = [
    result.raw_relay_fps!,
    result.raw_relay_p50_ms!,
    result.raw_relay_p99_ms!,
    round(f.serverRssMb, 1),
    result.raw_relay_server_cpu_cores!,
    round(f.generatorCpu, 2),
    result.raw_relay_server_us_per_frame!,
    result.raw_relay_generator_us_per_frame!,
    `${f.refused} / ${f.lost}`,
    '',
    '',
    result.raw_paced_p50_ms!,
    result.raw_paced_p99_ms!,
  ]
  const rows: (string | number)[][] = [
    [
      'relay throughput (frames/s)',
      result.relay_fps!,
      result.peerjs_relay_fps!,
      ratio(k.fps, p.fps),
    ],
    [
      'relay latency p50 (ms)',
      result.relay_p50_ms!,
      result.peerjs_relay_p50_ms!,
      ratio(k.latency.p50, p.latency.p50),
    ],
    [
      'relay latency p99 (ms)',
      result.relay_p99_ms!,
      result.peerjs_relay_p99_ms!,
      ratio(k.latency.p99, p.latency.p99),
    ],
    [
      'server RSS under load (MB)',
      result.relay_rss_mb!,
      result.peerjs_relay_rss_mb!,
      ratio(k.serverRssMb, p.serverRssMb),
    ],
    [
      'server CPU during window (cores)',
      result.relay_server_cpu_cores!,
      result.peerjs_relay_server_cpu_cores!,
      ratio(k.serverCpu, p.serverCpu),
    ],
    [
      'generator CPU during window (cores)',
      result.relay_generator_cpu_cores!,
      result.peerjs_relay_generator_cpu_cores!,
      ratio(k.generatorCpu, p.generatorCpu),
    ],
    [
      'server CPU per relayed frame (µs)',
      result.relay_server_us_per_frame!,
      result.peerjs_relay_server_us_per_frame!,
      ratio(k.serverCpu / k.fps, p.serverCpu / p.fps),
    ],
    [
      'generator CPU per relayed frame (µs)',
      result.relay_generator_us_per_frame!,
      result.peerjs_relay_generator_us_per_frame!,
      ratio(k.generatorCpu / k.fps, p.generatorCpu / p.fps),
    ],
    ['frames refused / lost', `${k.refused} / ${k.lost}`, `${p.refused} / ${p.lost}`, ''],
    [
      `server RSS, ${o.idleSockets.toLocaleString('en-US')} idle sockets (MB)`,
      result.rss_mb_10000_idle!,
      pi ? result.peerjs_rss_mb_10000_idle! : 'skipped',
      pi ? ratio(ki.rssMb, pi.rssMb) : '',
    ],
    [
      'RSS per 1,000 idle sockets (MB, above empty)',
      result.rss_mb_per_1000_idle!,
      pi ? result.peerjs_rss_mb_per_1000_idle! : 'skipped',
      pi ? ratio(per1000(ki), per1000(pi)) : '',
    ],
    [
      `latency p50 at ${o.pacedFps.toLocaleString('en-US')} frames/s offered (ms)`,
      result.paced_p50_ms!,
      result.peerjs_paced_p50_ms!,
      ratio(k.pacedLatency?.p50 ?? NaN, p.pacedLatency?.p50 ?? NaN),
    ],
    [
      `latency p99 at ${o.pacedFps.toLocaleString('en-US')} frames/s offered (ms)`,
      result.paced_p99_ms!,
      result.peerjs_paced_p99_ms!,
      ratio(k.pacedLatency?.p99 ?? NaN, p.pacedLatency?.p99 ?? NaN),
    ],
  ]
  const table = renderTable(
    ['metric', 'kibitz', 'peerjs', 'kibitz ÷ peerjs', 'raw ws floor'],
    rows.map((row, i) => [...row, rawCells[i] ?? '']),
  )
  console.log(JSON.stringify(result, null, 2))
  console.log()
  console.log(table)
  console.log()
  console.log(
    `targets: throughput ≥ 1.5× peerjs: ${result.target_throughput_met ? 'MET' : 'MISSED'} (${throughputRatio.toFixed(2)}×); ` +
      `p99 ≤ peerjs: ${result.target_p99_met ? 'MET' : 'MISSED'}; ` +
      `${o.idleSockets} idle ≤ 256 MB: ${result.target_idle_rss_met ? 'MET' : 'MISSED'} (${ki.rssMb.toFixed(1)} MB)`,
  )
  console.log(
    `kibitz broker rate limit: ${result.kibitz_default_rate_limit ? 'defaults (200 frames/s, burst 400 per socket)' : `overridden: ${o.brokerArgs.join(' ')}`}`,
  )
  const file = writeResult('broker', result)
  log(`wrote ${file}`)
  return result
}

export function parseBrokerArgs(argv: string[]): BrokerBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sockets: { type: 'string', default: '1000' },
      'per-room': { type: 'string', default: '4' },
      window: { type: 'string', default: '2' },
      bytes: { type: 'string', default: '600' },
      warmup: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      idle: { type: 'string', default: '10000' },
      paced: { type: 'string', default: '10000' },
      'no-peerjs-idle': { type: 'boolean', default: false },
      'broker-arg': { type: 'string', multiple: true, default: [] },
      client: { type: 'string', default: 'wire' },
      profile: { type: 'boolean', default: false },
      runtime: { type: 'string', default: 'node' },
    },
  })
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`)
    return n
  }
  const bad = (msg: string): never => {
    throw new Error(msg)
  }
  const sockets = int('sockets', values.sockets, 2, 5000)
  const perRoom = int('per-room', values['per-room'], 2, 64)
  if (sockets % perRoom !== 0) throw new Error('--sockets must be a multiple of --per-room')
  return {
    sockets,
    perRoom,
    window: int('window', values.window, 1, 64),
    payloadBytes: int('bytes', values.bytes, 64, 60_000),
    warmupMs: int('warmup', values.warmup, 0, 60) * 1000,
    measureMs: int('duration', values.duration, 1, 120) * 1000,
    rounds: int('rounds', values.rounds, 1, 5),
    idleSockets: int('idle', values.idle, 100, 15_000),
    pacedFps: int('paced', values.paced, 0, 100_000),
    idlePeerjs: !values['no-peerjs-idle'],
    brokerArgs: values['broker-arg'],
    profile: values.profile,
    runtime:
      values.runtime === 'node'
        ? 'node'
        : values.runtime === 'tsx'
          ? 'tsx'
          : bad('--runtime must be node or tsx'),
    client:
      values.client === 'socket.io-client'
        ? 'socket.io-client'
        : values.client === 'wire'
          ? 'wire'
          : bad('--client must be wire or socket.io-client'),
  }
}
