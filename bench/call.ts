/**
 * `call` benchmark: the headless controller's data path (`@kibitz/call`: `sendTo` / `broadcast`
 * with grant enforcement and `{k:'app'}` content envelopes) against the raw mesh it runs on, in
 * the same process and the same run — one-way latency of small messages, bulk throughput with the
 * same payloads — and join → first data message between two controllers. Everything goes through
 * one in-process broker on 127.0.0.1 and node-datachannel. See README.md § call.
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBroker, type Broker } from '@kibitz/broker'
import { createCall, type CallOptions } from '@kibitz/call'
import {
  createMesh,
  fetchIceServers,
  type Mesh,
  type MeshData,
  type MeshOptions,
  type MeshValue,
} from '@kibitz/mesh'
import {
  loopbackOnly,
  nodeWrtc,
  nodeWrtcCleanup,
  NODE_ICE_COMPLETE_TIMEOUT_MS,
} from '@kibitz/mesh/node'
import { createRoom, type Room } from '@kibitz/presence'
import { connectBroker } from '@kibitz/presence/socket-io'
import { createRoomId } from '@kibitz/protocol'
import { profiled, stopProfiler } from './lib/inspector-profile.js'
import { BENCH_DIR, writeResult, type FlatResult } from './lib/results.js'
import { percentileSorted, round } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const log = (s: string) => console.error(s)
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const BINARY_CHUNK = 64 * 1024
/** Bytes kept in flight end to end during a bulk transfer (sender → receiver's onMessage). */
const WINDOW_BYTES = 2 * 1024 * 1024
const WARMUP_MESSAGES = 50
/** A join slower than this hit libdatachannel's ~1 s lost-DTLS-flight stall (README.md § mesh). */
const STALL_MS = 800
/** Any single wait longer than this is a failure, not a slow sample. */
const WAIT_MS = 30_000

export interface CallBenchOptions {
  /** Small messages per latency series (one in flight, the series interleaved message by message). */
  messages: number
  /** Binary bulk transfer (MB, in 64 KiB `sendTo` messages) per round. */
  mb: number
  /** JSON bulk transfer (MB of app data, in `jsonBytes` messages) per round. */
  jsonMb: number
  jsonBytes: number
  /** Bulk rounds per system, alternating which goes first (median reported). */
  rounds: number
  /** join → first message rounds, each in a fresh room with two fresh controllers (and raw members). */
  joins: number
  /** Write .cpuprofile files (the latency phase, each system's first bulk round) to results/profiles/. */
  profile: boolean
}

const defer = <T = void>() => {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

async function until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const start = performance.now()
  while (!cond()) {
    if (performance.now() - start > ms) throw new Error(`${what}: not after ${ms} ms`)
    await sleep(1)
  }
}

// ---------------------------------------------------------------- the two systems

const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })

/** What `@kibitz/call`'s `nodeCallOptions` (src/testing/node.ts) sets, minus the fast test timing. */
function callOptions(url: string, room: string, name: string): CallOptions {
  return {
    room,
    name,
    signalHost: url,
    wrtc,
    candidateFilter: loopbackOnly,
    meshOptions: { iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS },
  }
}

/** Exactly the mesh options the controller passes to `createMesh` for a data-only Node call. */
function meshOptions(iceServers: RTCIceServer[]): Omit<MeshOptions, 'self' | 'signaling'> {
  return {
    wrtc,
    iceServers,
    relayOnly: false,
    candidateFilter: loopbackOnly,
    iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS,
  }
}

/** One connected pair seen from the benchmark: a sends, b receives. */
interface Pair {
  name: 'mesh' | 'call'
  sendTo(data: unknown): void
  broadcast(data: unknown): void
  /** b's handler for everything that arrives (replaces the previous one). */
  onReceive(cb: (data: MeshValue) => void): void
  close(): Promise<void>
}

/**
 * A participant wired like the controller wires it — presence room over the broker, one mesh
 * created once we are on the roster, `setPeers` from the roster — but without the controller:
 * no grants, no envelopes, `mesh.sendTo` / `mesh.broadcast` of the app data itself.
 */
async function rawMember(
  url: string,
  roomId: string,
  name: string,
  ice: RTCIceServer[],
  onMesh: (mesh: Mesh) => void = () => {},
) {
  const room: Room = createRoom({
    room: roomId,
    connect: (tag) => connectBroker(url, tag),
    name,
    cam: false,
    mic: false,
  })
  let mesh: Mesh | null = null
  const sync = (): void => {
    const s = room.getSnapshot()
    if (s.phase !== 'joined' || !s.self || !s.participants.some((p) => p.isSelf)) return
    if (!mesh) {
      mesh = createMesh({
        self: s.self,
        signaling: {
          send: (to, message) => room.sendSignal(to, message),
          onSignal: (cb) => room.on('signal', ({ from, message }) => cb(from, message)),
        },
        ...meshOptions(ice),
      })
      onMesh(mesh)
    }
    mesh.setPeers(s.participants.filter((p) => !p.isSelf).map((p) => p.id))
  }
  const off = room.subscribe(sync)
  await room.start()
  sync()
  // start() resolves once we hold a role; the roster naming us can come a moment later.
  await until(() => mesh !== null, `${name} on the roster`)
  const m = mesh as unknown as Mesh
  return {
    mesh: m,
    async close() {
      off()
      await m.close()
      await room.leave().catch(() => undefined)
    },
  }
}

async function meshPair(url: string, ice: RTCIceServer[]): Promise<Pair> {
  const room = createRoomId()
  const a = await rawMember(url, room, 'mesh-a', ice)
  const b = await rawMember(url, room, 'mesh-b', ice)
  const bid = b.mesh.self
  await until(
    () => a.mesh.connectedPeers().includes(bid) && b.mesh.connectedPeers().includes(a.mesh.self),
    'raw mesh link',
  )
  let receive: (data: MeshValue) => void = () => {}
  b.mesh.onMessage((data) => receive(data))
  return {
    name: 'mesh',
    sendTo: (data) => a.mesh.sendTo(bid, data as MeshData),
    broadcast: (data) => void a.mesh.broadcast(data as MeshData),
    onReceive: (cb) => void (receive = cb),
    close: async () => void (await Promise.all([a.close(), b.close()])),
  }
}

async function callPair(url: string): Promise<Pair> {
  const room = createRoomId()
  const a = createCall(callOptions(url, room, 'call-a'))
  const b = createCall(callOptions(url, room, 'call-b'))
  await a.join()
  await b.join()
  const aid = a.getState().self!
  const bid = b.getState().self!
  await until(
    () => a.connectedPeers().includes(bid) && b.connectedPeers().includes(aid),
    'controller link',
  )
  let receive: (data: MeshValue) => void = () => {}
  b.onMessage((data) => receive(data))
  return {
    name: 'call',
    sendTo: (data) => void a.sendTo(bid, data),
    broadcast: (data) => void a.broadcast(data),
    onReceive: (cb) => void (receive = cb),
    close: async () => void (await Promise.all([a.destroy(), b.destroy()])),
  }
}

// ---------------------------------------------------------------- measurements

type Mode = 'sendTo' | 'broadcast' | 'binary'
const MODES: readonly Mode[] = ['sendTo', 'broadcast', 'binary']

/**
 * One message in flight at a time, over every series (system × mode): each step sends one message
 * through each series in turn (the order rotating per step) and waits for it, so load on the
 * machine lands on every series alike. One-way latency (ms) from the `performance.now()` stamped
 * in the message: `{t, i}` as JSON, or a 16-byte binary (f64 at 0). The first steps are warm-up.
 */
async function measureLatency(
  series: readonly { pair: Pair; mode: Mode }[],
  n: number,
): Promise<Map<string, number[]>> {
  const out = new Map(series.map((s) => [`${s.pair.name}_${s.mode}`, [] as number[]]))
  const bin = new Uint8Array(16)
  const view = new DataView(bin.buffer)
  let arrived = defer<number>()
  for (const pair of new Set(series.map((s) => s.pair))) {
    pair.onReceive((d) => {
      const t =
        d instanceof Uint8Array
          ? new DataView(d.buffer, d.byteOffset, d.byteLength).getFloat64(0)
          : (d as { t: number }).t
      arrived.resolve(performance.now() - t)
    })
  }
  for (let i = 0; i < WARMUP_MESSAGES + n; i++) {
    for (let k = 0; k < series.length; k++) {
      const { pair, mode } = series[(i + k) % series.length]!
      arrived = defer<number>()
      if (mode === 'binary') {
        view.setFloat64(0, performance.now())
        pair.sendTo(bin)
      } else if (mode === 'sendTo') pair.sendTo({ t: performance.now(), i })
      else pair.broadcast({ t: performance.now(), i })
      const ms = await within(arrived.promise, WAIT_MS, `${pair.name} ${mode} message ${i}`)
      if (i >= WARMUP_MESSAGES) out.get(`${pair.name}_${mode}`)!.push(ms)
    }
  }
  return out
}

/**
 * `count` × `sendTo(payload)` a → b with `window` messages in flight (the next one leaves when one
 * arrives at b's onMessage), first send → last arrival. Returns MB/s of app payload and the
 * process's CPU time (user + system, every thread) per message.
 */
async function measureBulk(
  pair: Pair,
  payload: unknown,
  payloadBytes: number,
  count: number,
): Promise<{ mbs: number; cpuUs: number }> {
  const window = Math.max(1, Math.min(count, Math.round(WINDOW_BYTES / payloadBytes)))
  let sent = 0
  let got = 0
  let bad = 0
  const done = defer()
  pair.onReceive((d) => {
    if (d instanceof Uint8Array ? d.byteLength !== payloadBytes : typeof d !== 'object') bad++
    if (++got === count) done.resolve()
    else if (sent < count) {
      sent++
      pair.sendTo(payload)
    }
  })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  while (sent < window) {
    sent++
    pair.sendTo(payload)
  }
  await within(done.promise, 120_000, `${pair.name} bulk`)
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  if (bad > 0) throw new Error(`${pair.name} bulk: ${bad} messages arrived malformed`)
  return { mbs: (count * payloadBytes) / 1e6 / s, cpuUs: (cpu.user + cpu.system) / count }
}

/**
 * A JSON app message of about `bytes` serialized: a list of small records (numbers, strings,
 * booleans, a nested array), the shape of app state — the sanitizer's cost grows with the number
 * of values, not with their size, so a single big string would flatter it.
 */
function appPayload(bytes: number): { value: unknown; bytes: number } {
  const items: unknown[] = []
  const value = { kind: 'state', seq: 1, items }
  let size = JSON.stringify(value).length
  for (let i = 0; size < bytes; i++) {
    const item = {
      id: i,
      name: `participant-${i}`,
      x: Math.round(i * 1.37 * 100) / 100,
      y: -i,
      on: i % 2 === 0,
      tags: ['a', 'b'],
    }
    size += JSON.stringify(item).length + 1
    items.push(item)
  }
  return { value, bytes: Buffer.byteLength(JSON.stringify(value)) }
}

interface JoinSample {
  /** join() → it resolved (on the roster). */
  joined: number
  /** join() → our link to the first participant is open (we send). */
  open: number
  /** join() → our first sendTo arrives at the first participant's onMessage. */
  first: number
}

/**
 * Controller A has joined a fresh room; B calls join() and sends as soon as its link to A is open
 * (what an app does on the `participants` event that shows A `connected`).
 */
async function callJoin(url: string, round: number): Promise<JoinSample> {
  const room = createRoomId()
  const a = createCall(callOptions(url, room, 'first'))
  const b = createCall(callOptions(url, room, 'second'))
  try {
    await a.join()
    const aid = a.getState().self!
    const arrived = defer<number>()
    a.onMessage((d) => {
      if ((d as { hello?: number }).hello === round) arrived.resolve(performance.now())
    })
    let openAt = 0
    const trySend = (): void => {
      if (openAt > 0 || !b.connectedPeers().includes(aid)) return
      openAt = performance.now()
      b.sendTo(aid, { hello: round })
    }
    b.subscribe(trySend)
    const t0 = performance.now()
    let joinedAt = 0
    const joining = b.join().then(() => {
      joinedAt = performance.now()
      trySend()
    })
    const firstAt = await within(arrived.promise, WAIT_MS, `controller join round ${round}`)
    await joining
    return { joined: joinedAt - t0, open: openAt - t0, first: firstAt - t0 }
  } finally {
    await Promise.all([a.destroy(), b.destroy()])
  }
}

/** The same with raw members (presence + mesh, no controller): the stack's own floor. */
async function meshJoin(url: string, ice: RTCIceServer[], round: number): Promise<JoinSample> {
  const room = createRoomId()
  const a = await rawMember(url, room, 'first', ice)
  let b: Awaited<ReturnType<typeof rawMember>> | null = null
  try {
    const arrived = defer<number>()
    a.mesh.onMessage((d) => {
      if ((d as { hello?: number }).hello === round) arrived.resolve(performance.now())
    })
    let openAt = 0
    const t0 = performance.now()
    b = await rawMember(url, room, 'second', ice, (m) =>
      m.on('open', ({ peer }) => {
        if (openAt > 0 || peer !== a.mesh.self) return
        openAt = performance.now()
        m.sendTo(peer, { hello: round })
      }),
    )
    const joinedAt = performance.now()
    const firstAt = await within(arrived.promise, WAIT_MS, `mesh join round ${round}`)
    return { joined: joinedAt - t0, open: openAt - t0, first: firstAt - t0 }
  } finally {
    await Promise.all([a.close(), b?.close()])
  }
}

const pct = (xs: number[], p: number) =>
  percentileSorted(
    [...xs].sort((a, b) => a - b),
    p,
  )

export async function runCallBench(opts: CallBenchOptions): Promise<FlatResult> {
  const started = performance.now()
  const result: FlatResult = { loadavg_1m_at_start: round(loadavg()[0] ?? 0) }
  const profileFile = (what: string) =>
    opts.profile ? join(BENCH_DIR, 'results', 'profiles', `call-${what}.cpuprofile`) : null
  const broker: Broker = await startBroker({ port: 0, host: '127.0.0.1' })
  const pairs: Pair[] = []
  try {
    const ice = await fetchIceServers({ turnHost: broker.url })
    const iceServers = ice.ok ? ice.value.iceServers : []
    log(`== broker ${broker.url}; connecting a raw mesh pair and a controller pair`)
    pairs.push(await meshPair(broker.url, iceServers), await callPair(broker.url))

    const series = pairs.flatMap((pair) => MODES.map((mode) => ({ pair, mode })))
    log(`   latency: ${series.length} series × ${opts.messages} messages, interleaved`)
    const lat = await profiled(profileFile('latency'), () => measureLatency(series, opts.messages))

    // Throughput: the same payload objects for both systems, alternating which goes first.
    const binary = new Uint8Array(BINARY_CHUNK).fill(7)
    const binCount = Math.ceil((opts.mb * 1_000_000) / BINARY_CHUNK)
    const app = appPayload(opts.jsonBytes)
    const jsonCount = Math.ceil((opts.jsonMb * 1_000_000) / app.bytes)
    log(
      `   throughput: ${opts.rounds} rounds × (${binCount} × 64 KiB binary, ` +
        `${jsonCount} × ${app.bytes} B JSON) per system`,
    )
    const tput = new Map<string, number[]>()
    const cpu = new Map<string, number[]>()
    for (let r = 0; r < opts.rounds; r++) {
      for (const pair of r % 2 === 0 ? pairs : [...pairs].reverse()) {
        for (const [what, payload, bytes, count] of [
          ['binary', binary, BINARY_CHUNK, binCount],
          ['json', app.value, app.bytes, jsonCount],
        ] as const) {
          const key = `${pair.name}_${what}`
          const { mbs, cpuUs } = await profiled(r === 0 ? profileFile(`${key}-bulk`) : null, () =>
            measureBulk(pair, payload, bytes, count),
          )
          tput.set(key, [...(tput.get(key) ?? []), mbs])
          cpu.set(key, [...(cpu.get(key) ?? []), cpuUs])
          log(
            `   round ${r + 1} ${key}: ${mbs.toFixed(1)} MB/s, ${cpuUs.toFixed(0)} µs CPU/message`,
          )
        }
      }
    }
    await Promise.all(pairs.splice(0).map((p) => p.close()))

    log(
      `== join → first message: ${opts.joins} rounds each (controllers, raw members), fresh rooms`,
    )
    const joins: JoinSample[] = []
    const meshJoins: JoinSample[] = []
    for (let r = 0; r < opts.joins; r++) {
      const order = r % 2 === 0 ? ['call', 'mesh'] : ['mesh', 'call']
      for (const sys of order) {
        if (sys === 'call') joins.push(await callJoin(broker.url, r))
        else meshJoins.push(await meshJoin(broker.url, iceServers, r))
        await sleep(20)
      }
    }

    for (const sys of ['mesh', 'call']) {
      const l = (mode: Mode) => lat.get(`${sys}_${mode}`) ?? []
      result[`${sys}_latency_ms_p50`] = round(pct(l('sendTo'), 50), 4)
      result[`${sys}_latency_ms_p99`] = round(pct(l('sendTo'), 99), 4)
      result[`${sys}_broadcast_latency_ms_p50`] = round(pct(l('broadcast'), 50), 4)
      result[`${sys}_broadcast_latency_ms_p99`] = round(pct(l('broadcast'), 99), 4)
      result[`${sys}_binary_latency_ms_p50`] = round(pct(l('binary'), 50), 4)
      result[`${sys}_binary_latency_ms_p99`] = round(pct(l('binary'), 99), 4)
      const mbs = (what: string) => pct(tput.get(`${sys}_${what}`) ?? [], 50)
      result[`${sys}_throughput_mb_s`] = round(mbs('json'), 1)
      result[`${sys}_json_msgs_s`] = Math.round((mbs('json') * 1e6) / app.bytes)
      result[`${sys}_binary_throughput_mb_s`] = round(mbs('binary'), 1)
      const us = (what: string) => pct(cpu.get(`${sys}_${what}`) ?? [], 50)
      result[`${sys}_json_cpu_us_per_msg`] = round(us('json'), 1)
      result[`${sys}_binary_cpu_us_per_msg`] = round(us('binary'), 1)
    }
    // Ratios from the unrounded medians: controller ÷ raw mesh, same run.
    const ratio = (key: string, num: number, den: number) => {
      if (Number.isFinite(num) && Number.isFinite(den) && den > 0) result[key] = round(num / den, 3)
    }
    const p50 = (key: string, p = 50) => pct(lat.get(key) ?? [], p)
    const mb = (key: string) => pct(tput.get(key) ?? [], 50)
    ratio('latency_ratio', p50('call_sendTo'), p50('mesh_sendTo'))
    ratio('latency_p99_ratio', p50('call_sendTo', 99), p50('mesh_sendTo', 99))
    ratio('broadcast_latency_ratio', p50('call_broadcast'), p50('mesh_broadcast'))
    ratio('binary_latency_ratio', p50('call_binary'), p50('mesh_binary'))
    ratio('throughput_ratio', mb('call_json'), mb('mesh_json'))
    ratio('binary_throughput_ratio', mb('call_binary'), mb('mesh_binary'))
    const us = (key: string) => pct(cpu.get(key) ?? [], 50)
    ratio('json_cpu_ratio', us('call_json'), us('mesh_json'))
    ratio('binary_cpu_ratio', us('call_binary'), us('mesh_binary'))
    result.latency_target_met = (result.latency_ratio ?? Infinity) <= 1.1 ? 1 : 0
    result.broadcast_latency_target_met =
      (result.broadcast_latency_ratio ?? Infinity) <= 1.1 ? 1 : 0
    result.throughput_target_met = (result.throughput_ratio ?? 0) >= 0.9 ? 1 : 0
    result.binary_throughput_target_met = (result.binary_throughput_ratio ?? 0) >= 0.9 ? 1 : 0

    for (const [prefix, xs] of [
      ['', joins],
      ['mesh_', meshJoins],
    ] as const) {
      const js = (f: (s: JoinSample) => number, p: number) => round(pct(xs.map(f), p), 1)
      result[`${prefix}join_to_first_message_ms`] = js((s) => s.first, 50)
      result[`${prefix}join_to_first_message_ms_p90`] = js((s) => s.first, 90)
      result[`${prefix}join_to_first_message_ms_min`] = round(
        Math.min(...xs.map((s) => s.first)),
        1,
      )
      result[`${prefix}join_to_first_message_ms_max`] = round(
        Math.max(...xs.map((s) => s.first)),
        1,
      )
      result[`${prefix}join_resolved_ms_p50`] = js((s) => s.joined, 50)
      result[`${prefix}join_link_open_ms_p50`] = js((s) => s.open, 50)
      result[`${prefix}join_stalled_rounds`] = xs.filter((s) => s.first >= STALL_MS).length
      // The same without the stalled rounds: what a join costs when DTLS does not lose a flight.
      const fast = xs.filter((s) => s.first < STALL_MS).map((s) => s.first)
      if (fast.length > 0)
        result[`${prefix}join_to_first_message_ms_unstalled_p50`] = round(pct(fast, 50), 1)
    }

    result.messages = opts.messages
    result.bulk_binary_mb = opts.mb
    result.bulk_json_mb = opts.jsonMb
    result.json_message_bytes = app.bytes
    result.bulk_rounds = opts.rounds
    result.joins = opts.joins
    result.profiled = opts.profile ? 1 : 0
    result.wall_s = round((performance.now() - started) / 1000, 1)
  } finally {
    await Promise.all(pairs.map((p) => p.close().catch(() => undefined)))
    await broker.close()
    stopProfiler()
    nodeWrtcCleanup()
  }

  const file = writeResult('call', result)
  const r = (k: string): string | number => result[k] ?? '–'
  console.log(JSON.stringify(result, null, 2))
  const row = (label: string, sys: string): (string | number)[] => [
    label,
    r(`${sys}_latency_ms_p50`),
    r(`${sys}_latency_ms_p99`),
    r(`${sys}_broadcast_latency_ms_p50`),
    r(`${sys}_broadcast_latency_ms_p99`),
    r(`${sys}_binary_latency_ms_p50`),
    r(`${sys}_throughput_mb_s`),
    r(`${sys}_json_msgs_s`),
    r(`${sys}_binary_throughput_mb_s`),
  ]
  console.log(
    renderTable(
      [
        'system',
        'sendTo p50 ms',
        'sendTo p99 ms',
        'broadcast p50 ms',
        'broadcast p99 ms',
        'binary p50 ms',
        'JSON MB/s',
        'JSON msgs/s',
        '64 KiB MB/s',
      ],
      [
        row('raw mesh', 'mesh'),
        row('controller', 'call'),
        [
          'controller ÷ mesh',
          r('latency_ratio'),
          r('latency_p99_ratio'),
          r('broadcast_latency_ratio'),
          '',
          r('binary_latency_ratio'),
          r('throughput_ratio'),
          '',
          r('binary_throughput_ratio'),
        ],
      ],
    ),
  )
  console.log(
    `\nprocess CPU per bulk message (µs): JSON raw mesh ${r('mesh_json_cpu_us_per_msg')}, ` +
      `controller ${r('call_json_cpu_us_per_msg')} (${r('json_cpu_ratio')}×); 64 KiB binary ` +
      `${r('mesh_binary_cpu_us_per_msg')} / ${r('call_binary_cpu_us_per_msg')} (${r('binary_cpu_ratio')}×)`,
  )
  const joinRow = (label: string, p: string): (string | number)[] => [
    label,
    r(`${p}join_to_first_message_ms`),
    r(`${p}join_to_first_message_ms_p90`),
    r(`${p}join_to_first_message_ms_min`),
    r(`${p}join_to_first_message_ms_max`),
    r(`${p}join_to_first_message_ms_unstalled_p50`),
    r(`${p}join_resolved_ms_p50`),
    r('joins'),
    r(`${p}join_stalled_rounds`),
  ]
  console.log(
    `\n${renderTable(
      [
        'join → first message (ms)',
        'p50',
        'p90',
        'min',
        'max',
        `p50 < ${STALL_MS} ms`,
        'on roster p50',
        'rounds',
        `≥ ${STALL_MS} ms`,
      ],
      [joinRow('controller (2nd of 2)', ''), joinRow('raw members (2nd of 2)', 'mesh_')],
    )}`,
  )
  console.log(
    `\ncontroller ÷ raw mesh (same run, same payloads): latency ${r('latency_ratio')}×, broadcast ` +
      `${r('broadcast_latency_ratio')}× (target ≤ 1.1), JSON throughput ${r('throughput_ratio')}×, ` +
      `binary ${r('binary_throughput_ratio')}× (target ≥ 0.9). join → first message p50 ` +
      `${r('join_to_first_message_ms')} ms (on the roster ${r('join_resolved_ms_p50')} ms, link open ` +
      `${r('join_link_open_ms_p50')} ms); rounds ≥ ${STALL_MS} ms hit libdatachannel's ~1 s ` +
      `lost-DTLS-flight stall (README.md § mesh, caveats).`,
  )
  log(`wrote ${file}`)
  return result
}

export function parseCallArgs(argv: string[]): CallBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      messages: { type: 'string', default: '2000' },
      mb: { type: 'string', default: '32' },
      'json-mb': { type: 'string', default: '8' },
      'json-bytes': { type: 'string', default: '16384' },
      rounds: { type: 'string', default: '5' },
      joins: { type: 'string', default: '10' },
      profile: { type: 'boolean', default: false },
    },
  })
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`)
    return n
  }
  return {
    messages: int('messages', values.messages, 10, 100_000),
    mb: int('mb', values.mb, 1, 50),
    jsonMb: int('json-mb', values['json-mb'], 1, 50),
    // The controller's envelope must still fit the mesh's 256 KiB JSON limit.
    jsonBytes: int('json-bytes', values['json-bytes'], 64, 200_000),
    rounds: int('rounds', values.rounds, 1, 20),
    joins: int('joins', values.joins, 1, 50),
    profile: values.profile,
  }
}
