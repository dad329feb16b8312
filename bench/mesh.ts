/**
 * `mesh` benchmark (issue 4, data part): the mesh's `sendTo` against raw simple-peer and a raw
 * node-datachannel data channel, all on the same stack (node-datachannel, 127.0.0.1, one process)
 * in the same run — connect time, one-way latency of small messages, 50 MB throughput — and the
 * bring-up time of an 8-participant full data mesh. Then, in Chromium, navigation → first remote
 * camera frame of the Kibitz controller vs a bare simple-peer page pair (lib/first-frame.ts,
 * `first_frame_ratio`). See README.md § mesh.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import {
  createMesh,
  type LinkSignal,
  type Mesh,
  type MeshSignaling,
  type MeshValue,
  type PeerLink,
} from '@kibitz/mesh'
import {
  createNativePeerLink,
  loopbackOnly,
  nodeWrtc,
  nodeWrtcCleanup,
  NODE_ICE_COMPLETE_TIMEOUT_MS,
} from '@kibitz/mesh/node'
import { simplePeerLinkFactory } from '@kibitz/mesh/simple-peer'
import type { SignalMessage } from '@kibitz/protocol'
import nodeDataChannel, { type DataChannel, type PeerConnection } from 'node-datachannel'
import SimplePeer from 'simple-peer'
import { dtlsRoleBench, handshakeRaceBench } from './lib/dtls-role.js'
import { firstFrameBench } from './lib/first-frame.js'
import { checkoutVariant, resolveCommit } from './lib/variant.js'
import { writeResult, type FlatResult } from './lib/results.js'
import { percentileSorted, round } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const log = (s: string) => console.error(s)
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const HIGH = 1024 * 1024
const LOW = 256 * 1024
const CHUNK = 64 * 1024
const LATENCY_BYTES = 16
/** Latency is sampled in this many blocks per system, interleaved with the other systems'. */
const LATENCY_BLOCKS = 10
/** Unrecorded messages before each latency block. */
const LATENCY_WARMUP = 20
/**
 * Unrecorded messages per system before the first block: the systems are compared warm. Without
 * them the first thousands of a JavaScript-heavy path (the mesh's framing and queue) run before
 * V8 has optimized it, while the raw channel has almost no JavaScript to warm (RESULTS.md, tenth
 * session: ratio 1.12–1.20 over 2,000 cold messages, ~1.05 warm).
 */
const LATENCY_JIT_WARMUP = 5_000

export interface MeshBenchOptions {
  /** Fresh connections per system for the connect-time median. */
  connects: number
  /** Small messages per system for the latency percentiles (one in flight). */
  messages: number
  /** Bulk transfer size (MB) and how many times per system (median reported). */
  mb: number
  rounds: number
  /** 8-participant bring-ups (median reported). */
  mesh8: number
  /** Which systems to compare (default all three). */
  systems: string[]
  /** First-remote-frame rounds per system in Chromium (Kibitz vs bare simple-peer); 0 = skip. */
  firstFrame: number
  /** Then rounds where the second page joins a call already running (needs `firstFrame` > 0). */
  firstFrameJoin: number
  /**
   * A/B: a git revision whose Kibitz page replaces the bare page as the reference
   * (`lib/variant.ts`); null = the real comparison. Results are then printed, not written.
   */
  firstFrameAb: string | null
  /** Native link pairs per DTLS role (offer `active` as shipped vs `actpass`, M42); 0 = skip. */
  dtlsPairs: number
  /** Cold-handshake phase: native link pairs, how many at a time, busy processes beside; 0 = skip. */
  racePairs: number
  raceParallel: number
  raceBusy: number
}

/** One connected pair of a system under test, seen from the benchmark. */
interface Pair {
  /** Send one binary message a → b. */
  send(data: Uint8Array): void
  /** a's bytes buffered in the channel (for raw backpressure). */
  buffered(): number
  onReceive(cb: (data: Uint8Array) => void): void
  /** Send `bytes` a → b as fast as the system allows; resolves when b has them all. */
  bulk(bytes: number): Promise<void>
  close(): Promise<void>
}

interface System {
  name: 'mesh' | 'mesh_simple_peer' | 'native_link' | 'simple_peer' | 'raw_dc'
  /** Build a pair; resolves with it once both ends are open. */
  connect(): Promise<Pair>
}

const defer = <T = void>() => {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Point a pair's receiver (`setReceive`) at a byte counter; resolves once `bytes` arrived. */
function untilReceived(
  bytes: number,
  setReceive: (cb: (data: Uint8Array) => void) => void,
): Promise<void> {
  const done = defer()
  let got = 0
  setReceive((d) => {
    got += d.byteLength
    if (got >= bytes) done.resolve()
  })
  return done.promise
}

// ---------------------------------------------------------------- raw node-datachannel

/**
 * Closed native peer connections stay referenced until `cleanup()`: letting V8 collect one whose
 * callbacks are still registered segfaulted node-datachannel 0.33.4 here.
 */
const keepAlive: unknown[] = []

/**
 * Signal `from`'s description and candidates to `to`. libdatachannel reports them on different
 * callbacks, which can reach JS out of order: a candidate that beats the description waits for it
 * (adding it first throws "remote candidate without ICE transport").
 */
function signalRaw(from: PeerConnection, to: PeerConnection): void {
  let described = false
  const early: [string, string][] = []
  from.onLocalDescription((sdp, type) =>
    setImmediate(() => {
      to.setRemoteDescription(sdp, type)
      described = true
      for (const [c, mid] of early.splice(0)) to.addRemoteCandidate(c, mid)
    }),
  )
  from.onLocalCandidate((c, mid) =>
    setImmediate(() => {
      if (!loopbackOnly(c)) return
      if (described) to.addRemoteCandidate(c, mid)
      else early.push([c, mid])
    }),
  )
}

const rawDc: System = {
  name: 'raw_dc',
  async connect() {
    const config = { iceServers: [], bindAddress: '127.0.0.1' }
    const a = new nodeDataChannel.PeerConnection('bench-a', config)
    const b = new nodeDataChannel.PeerConnection('bench-b', config)
    // Asynchronous in-order delivery, like every other system here (setImmediate).
    signalRaw(a, b)
    signalRaw(b, a)
    const opened = defer<DataChannel>()
    const aOpen = defer()
    let receive: (data: Uint8Array) => void = () => {}
    b.onDataChannel((dc) => {
      dc.onMessage((msg) => {
        if (typeof msg !== 'string') receive(msg as Uint8Array)
      })
      opened.resolve(dc)
    })
    const dc = a.createDataChannel('raw', {}) // reliable, ordered
    keepAlive.push(a, b, dc)
    dc.onOpen(() => aOpen.resolve())
    const [remote] = await Promise.all([opened.promise, aOpen.promise])
    keepAlive.push(remote)
    return {
      send: (data) => dc.sendMessageBinary(data as Buffer),
      buffered: () => dc.bufferedAmount(),
      onReceive: (cb) => void (receive = cb),
      async bulk(bytes) {
        const done = untilReceived(bytes, (cb) => (receive = cb))
        // The floor: libdatachannel's own bufferedamountlow event, no polling.
        dc.setBufferedAmountLowThreshold(LOW)
        const chunk = Buffer.alloc(CHUNK, 7)
        let sent = 0
        const fill = () => {
          while (sent < bytes && dc.bufferedAmount() <= HIGH) {
            const n = Math.min(CHUNK, bytes - sent)
            dc.sendMessageBinary(n === CHUNK ? chunk : chunk.subarray(0, n))
            sent += n
          }
        }
        dc.onBufferedAmountLow(fill)
        fill()
        await done
      },
      async close() {
        dc.close()
        remote.close()
        a.close()
        b.close()
        await sleep(20)
      },
    }
  },
}

// ---------------------------------------------------------------- raw simple-peer

const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })

const simplePeer: System = {
  name: 'simple_peer',
  async connect() {
    const opts = {
      trickle: true,
      objectMode: true,
      config: { iceServers: [] },
      iceCompleteTimeout: NODE_ICE_COMPLETE_TIMEOUT_MS,
      wrtc: wrtc as SimplePeer.Options['wrtc'],
    }
    const a = new SimplePeer({ ...opts, initiator: true })
    const b = new SimplePeer({ ...opts, initiator: false })
    const relay = (from: SimplePeer.Instance, to: SimplePeer.Instance) =>
      from.on('signal', (s: SimplePeer.SignalData) => {
        const c = (s as { candidate?: { candidate?: string } }).candidate?.candidate
        if (c !== undefined && !loopbackOnly(c)) return
        const copy = JSON.parse(JSON.stringify(s)) as SimplePeer.SignalData
        setImmediate(() => !to.destroyed && to.signal(copy))
      })
    relay(a, b)
    relay(b, a)
    let receive: (data: Uint8Array) => void = () => {}
    b.on('data', (d: Uint8Array) => receive(d))
    await Promise.all([
      new Promise((r) => a.once('connect', r)),
      new Promise((r) => b.once('connect', r)),
    ])
    return {
      send: (data) => a.send(data),
      buffered: () => a.bufferSize,
      onReceive: (cb) => void (receive = cb),
      async bulk(bytes) {
        const done = untilReceived(bytes, (cb) => (receive = cb))
        // simple-peer as documented: its stream `write()` with `drain` backpressure.
        const chunk = Buffer.alloc(CHUNK, 7)
        let sent = 0
        while (sent < bytes) {
          const n = Math.min(CHUNK, bytes - sent)
          sent += n
          if (!a.write(n === CHUNK ? chunk : chunk.subarray(0, n)))
            await new Promise((r) => a.once('drain', r))
        }
        await done
      },
      async close() {
        a.destroy()
        b.destroy()
        await sleep(20)
      },
    }
  },
}

// ---------------------------------------------------------------- the native link alone

/**
 * Kibitz's native Node link (M43, `createNativePeerLink`) without the mesh: what the link layer
 * costs over the raw channel, apart from what the mesh adds (`mesh` is the mesh on it).
 */
const nativeLink: System = {
  name: 'native_link',
  async connect() {
    const make = (initiator: boolean) =>
      createNativePeerLink(
        { initiator, iceServers: [], iceTransportPolicy: 'all' },
        { bindAddress: '127.0.0.1', candidateFilter: loopbackOnly },
      )
    const a = make(true)
    const b = make(false)
    const relay = (from: PeerLink, to: PeerLink) =>
      from.on('signal', ({ signal }) => {
        const copy = JSON.parse(JSON.stringify(signal)) as LinkSignal
        setImmediate(() => to.signal(copy))
      })
    relay(a, b)
    relay(b, a)
    let receive: (data: Uint8Array) => void = () => {}
    b.on('data', ({ data }) => {
      if (typeof data !== 'string') receive(data)
    })
    await Promise.all([new Promise((r) => a.on('open', r)), new Promise((r) => b.on('open', r))])
    return {
      send: (data) => a.send(data),
      buffered: () => a.bufferedAmount,
      onReceive: (cb) => void (receive = cb),
      async bulk(bytes) {
        const done = untilReceived(bytes, (cb) => (receive = cb))
        // The link's own `drain` (the channel's bufferedamountlow at the mesh's low-water mark).
        const chunk = new Uint8Array(CHUNK).fill(7)
        let sent = 0
        const fill = () => {
          while (sent < bytes && a.bufferedAmount <= HIGH) {
            const n = Math.min(CHUNK, bytes - sent)
            a.send(n === CHUNK ? chunk : chunk.subarray(0, n))
            sent += n
          }
        }
        const off = a.on('drain', fill)
        fill()
        await done
        off()
      },
      async close() {
        a.destroy()
        b.destroy()
        await sleep(20)
      },
    }
  },
}

// ---------------------------------------------------------------- the mesh

/** In-process signaling for N meshes: JSON-copied, asynchronous, in order (like the test hub). */
function signalBus() {
  const listeners = new Map<string, (from: string, m: SignalMessage) => void>()
  return (id: string): MeshSignaling => ({
    send(to, message) {
      const cb = listeners.get(to)
      if (!cb) return false
      const copy = JSON.parse(JSON.stringify(message)) as SignalMessage
      setImmediate(() => listeners.get(to)?.(id, copy))
      return true
    },
    onSignal(cb) {
      listeners.set(id, cb)
      return () => void listeners.delete(id)
    },
  })
}

/**
 * N meshes on `nodeWrtc()`: its default link, the native one (M43), or with `simplePeer` the
 * simple-peer link that was Node's default before (M40).
 */
function spawnMeshes(ids: string[], simplePeer = false): Mesh[] {
  const bus = signalBus()
  return ids.map((self) =>
    createMesh({
      self,
      signaling: bus(self),
      wrtc,
      ...(simplePeer
        ? {
            createLink: simplePeerLinkFactory({
              wrtc,
              candidateFilter: loopbackOnly,
              iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS,
            }),
          }
        : {}),
      iceServers: [],
      candidateFilter: loopbackOnly,
      byeFlushMs: 50,
      statsIntervalMs: 0,
    }),
  )
}

async function untilAllOpen(meshes: Mesh[], timeoutMs = 20_000): Promise<void> {
  const want = meshes.length - 1
  const start = Date.now()
  while (!meshes.every((m) => m.connectedPeers().length === want)) {
    if (Date.now() - start > timeoutMs) throw new Error('mesh did not come up')
    await new Promise((r) => setImmediate(r))
  }
}

const meshOn = (name: 'mesh' | 'mesh_simple_peer'): System => ({
  name,
  async connect() {
    const [a, b] = spawnMeshes(['bench-a', 'bench-b'], name === 'mesh_simple_peer') as [Mesh, Mesh]
    a.setPeers(['bench-a', 'bench-b'])
    b.setPeers(['bench-a', 'bench-b'])
    let receive: (data: Uint8Array) => void = () => {}
    b.onMessage((data: MeshValue) => {
      if (data instanceof Uint8Array) receive(data)
    })
    await untilAllOpen([a, b])
    return {
      send: (data) => a.sendTo('bench-b', data),
      buffered: () => a.stats('bench-b')?.bufferedAmount ?? 0,
      onReceive: (cb) => void (receive = cb),
      async bulk(bytes) {
        const done = untilReceived(bytes, (cb) => (receive = cb))
        // One message: the mesh chunks (64 KiB frames) and paces it itself. The payload is the
        // benchmark's, made before the clock started (the raw systems send one 64 KiB chunk
        // over and over and allocate nothing).
        a.sendTo('bench-b', bulkPayload(bytes))
        await done
      },
      async close() {
        await Promise.all([a.close(), b.close()])
      },
    }
  },
})

// ---------------------------------------------------------------- measurements

/** The mesh's bulk message, one per size, allocated outside the timed transfer. */
const bulkPayloads = new Map<number, Uint8Array>()
const bulkPayload = (bytes: number): Uint8Array => {
  let payload = bulkPayloads.get(bytes)
  if (!payload) bulkPayloads.set(bytes, (payload = new Uint8Array(bytes).fill(7)))
  return payload
}

async function measureConnect(system: System, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const pair = await system.connect()
    out.push(performance.now() - t0)
    await pair.close()
  }
  return out
}

/** One message in flight: send, wait for it, send the next. Returns one-way latencies (ms). */
async function measureLatency(pair: Pair, n: number): Promise<number[]> {
  const out: number[] = []
  const buf = new Uint8Array(LATENCY_BYTES)
  const view = new DataView(buf.buffer)
  for (let i = 0; i < n + LATENCY_WARMUP; i++) {
    const arrived = defer<number>()
    pair.onReceive((d) => {
      const sentAt = new DataView(d.buffer, d.byteOffset, d.byteLength).getFloat64(0)
      arrived.resolve(performance.now() - sentAt)
    })
    view.setFloat64(0, performance.now())
    pair.send(buf)
    const ms = await arrived.promise
    if (i >= LATENCY_WARMUP) out.push(ms)
  }
  return out
}

async function measureThroughput(pair: Pair, mb: number, rounds: number): Promise<number[]> {
  const out: number[] = []
  bulkPayload(mb * 1_000_000)
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    await pair.bulk(mb * 1_000_000)
    out.push(mb / ((performance.now() - t0) / 1000))
  }
  return out
}

const median = (xs: number[]) =>
  percentileSorted(
    [...xs].sort((a, b) => a - b),
    50,
  )
const pct = (xs: number[], p: number) =>
  percentileSorted(
    [...xs].sort((a, b) => a - b),
    p,
  )

export async function runMeshBench(opts: MeshBenchOptions): Promise<FlatResult> {
  const started = performance.now()
  const result: FlatResult = { loadavg_1m_at_start: round(loadavg()[0] ?? 0) }
  const systems = [
    rawDc,
    simplePeer,
    nativeLink,
    meshOn('mesh'),
    meshOn('mesh_simple_peer'),
  ].filter((s) => opts.systems.includes(s.name))
  const rows: (string | number)[][] = []
  // Connect times per system with nothing else open (idle node-datachannel connections make new
  // ones stall on their DTLS retransmit far more often), then one pair each; latency blocks and
  // bulk rounds rotate through the systems, so load drift on this shared machine lands on all of
  // them alike.
  const connects: number[][] = []
  for (const system of systems) {
    log(`== ${system.name}: ${opts.connects} connects`)
    connects.push(await measureConnect(system, opts.connects))
  }
  const pairs: Pair[] = []
  for (const system of systems) pairs.push(await system.connect())
  const lat: number[][] = systems.map(() => [])
  const tput: number[][] = systems.map(() => [])
  const rotation = (k: number) => systems.map((_, i) => (i + k) % systems.length)
  log(
    `== latency: ${opts.messages} messages per system in ${LATENCY_BLOCKS} rotating blocks, after ${LATENCY_JIT_WARMUP} unrecorded`,
  )
  for (const pair of pairs) await measureLatency(pair, LATENCY_JIT_WARMUP)
  for (let b = 0; b < LATENCY_BLOCKS; b++) {
    for (const i of rotation(b))
      lat[i]!.push(...(await measureLatency(pairs[i]!, Math.ceil(opts.messages / LATENCY_BLOCKS))))
  }
  log(`== throughput: ${opts.rounds} × ${opts.mb} MB per system, rotating`)
  for (let r = 0; r < opts.rounds; r++) {
    for (const i of rotation(r)) tput[i]!.push(...(await measureThroughput(pairs[i]!, opts.mb, 1)))
  }
  await Promise.all(pairs.map((p) => p.close()))
  for (const [i, system] of systems.entries()) {
    const p = system.name
    result[`${p}_connect_ms_p50`] = round(median(connects[i]!))
    result[`${p}_connect_ms_p90`] = round(pct(connects[i]!, 90))
    result[`${p}_latency_ms_p50`] = round(median(lat[i]!), 4)
    result[`${p}_latency_ms_p99`] = round(pct(lat[i]!, 99), 4)
    result[`${p}_throughput_mb_s`] = round(median(tput[i]!), 1)
    rows.push([
      p,
      result[`${p}_connect_ms_p50`]!,
      result[`${p}_connect_ms_p90`]!,
      result[`${p}_latency_ms_p50`]!,
      result[`${p}_latency_ms_p99`]!,
      result[`${p}_throughput_mb_s`]!,
    ])
  }

  log(`== mesh of 8: ${opts.mesh8} bring-ups`)
  const bringups: number[] = []
  const ids = Array.from({ length: 8 }, (_, i) => `m8-${i}`)
  for (let i = 0; i < opts.mesh8; i++) {
    const meshes = spawnMeshes(ids)
    const t0 = performance.now()
    for (const m of meshes) m.setPeers(ids)
    await untilAllOpen(meshes)
    bringups.push(performance.now() - t0)
    await Promise.all(meshes.map((m) => m.close()))
    await sleep(50)
  }

  log(`== DTLS role: ${opts.dtlsPairs} native link pairs per role, alternating`)
  const dtls = opts.dtlsPairs > 0 ? await dtlsRoleBench(opts.dtlsPairs, result) : null
  log(`== cold handshakes: ${opts.racePairs} native link pairs, ${opts.raceParallel} at a time`)
  const race =
    opts.racePairs > 0
      ? await handshakeRaceBench(opts.racePairs, opts.raceParallel, opts.raceBusy, result)
      : null
  const variant = opts.firstFrameAb !== null ? checkoutVariant(opts.firstFrameAb) : null
  let firstFrame: string | null = null
  try {
    if (opts.firstFrame > 0)
      firstFrame = await firstFrameBench(opts.firstFrame, opts.firstFrameJoin, result, variant)
  } finally {
    variant?.remove()
  }

  result.mesh8_bringup_ms = round(median(bringups))
  result.mesh8_bringup_ms_max = round(Math.max(...bringups))
  const ratio = (key: string, num: string, den: string, digits = 3) => {
    const n = result[num]
    const d = result[den]
    if (n !== undefined && d !== undefined && d > 0) result[key] = round(n / d, digits)
  }
  ratio('latency_ratio', 'mesh_latency_ms_p50', 'raw_dc_latency_ms_p50')
  ratio('latency_p99_ratio', 'mesh_latency_ms_p99', 'raw_dc_latency_ms_p99')
  ratio('throughput_ratio', 'mesh_throughput_mb_s', 'raw_dc_throughput_mb_s')
  ratio('latency_ratio_vs_simple_peer', 'mesh_latency_ms_p50', 'simple_peer_latency_ms_p50')
  ratio('throughput_ratio_vs_simple_peer', 'mesh_throughput_mb_s', 'simple_peer_throughput_mb_s')
  ratio('connect_ratio', 'mesh_connect_ms_p50', 'raw_dc_connect_ms_p50')
  // The native link alone (Node's default, M43), and the mesh on the simple-peer link (M40).
  ratio('native_link_latency_ratio', 'native_link_latency_ms_p50', 'raw_dc_latency_ms_p50')
  ratio(
    'mesh_simple_peer_latency_ratio',
    'mesh_simple_peer_latency_ms_p50',
    'raw_dc_latency_ms_p50',
  )
  ratio(
    'mesh_simple_peer_throughput_ratio',
    'mesh_simple_peer_throughput_mb_s',
    'raw_dc_throughput_mb_s',
  )
  if (result.latency_ratio !== undefined)
    result.latency_target_met = result.latency_ratio <= 1.1 ? 1 : 0
  if (result.throughput_ratio !== undefined)
    result.throughput_target_met = result.throughput_ratio >= 0.9 ? 1 : 0
  result.connects = opts.connects
  result.messages = opts.messages
  result.bulk_mb = opts.mb
  result.bulk_rounds = opts.rounds
  result.mesh8_runs = opts.mesh8
  result.wall_s = round((performance.now() - started) / 1000, 1)
  nodeWrtcCleanup()

  // An A/B run's figures are not the benchmark's (its first-frame reference is not bare).
  const file = variant ? null : writeResult('mesh', result)
  console.log(JSON.stringify(result, null, 2))
  console.log(
    renderTable(
      ['system', 'connect p50 ms', 'connect p90 ms', 'latency p50 ms', 'latency p99 ms', 'MB/s'],
      rows,
    ),
  )
  console.log(
    `\nmesh ÷ raw data channel: latency ${result.latency_ratio}× (target ≤ 1.1), throughput ` +
      `${result.throughput_ratio}× (target ≥ 0.9); 8-participant bring-up ${result.mesh8_bringup_ms} ms ` +
      `(max ${result.mesh8_bringup_ms_max}).`,
  )
  if (dtls) console.log(`\n${dtls}`)
  if (race) console.log(`\n${race}`)
  if (firstFrame) console.log(`\n${firstFrame}`)
  log(file ? `wrote ${file}` : `A/B run against ${variant?.rev}: results/mesh.json left as it was`)
  return result
}

export function parseMeshArgs(argv: string[]): MeshBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      connects: { type: 'string', default: '15' },
      messages: { type: 'string', default: '2000' },
      mb: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '5' },
      mesh8: { type: 'string', default: '5' },
      systems: { type: 'string', default: 'raw_dc,simple_peer,native_link,mesh,mesh_simple_peer' },
      'first-frame': { type: 'string', default: '10' },
      'first-frame-join': { type: 'string', default: '10' },
      'first-frame-ab': { type: 'string' },
      'dtls-pairs': { type: 'string', default: '60' },
      'race-pairs': { type: 'string', default: '200' },
      'race-parallel': { type: 'string', default: '4' },
      'race-busy': { type: 'string', default: '0' },
    },
  })
  const ab = values['first-frame-ab']
  // Checked now, not after the data phases: a typo fails at once.
  if (ab !== undefined) resolveCommit(ab)
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`)
    return n
  }
  return {
    connects: int('connects', values.connects, 1, 200),
    messages: int('messages', values.messages, 10, 100_000),
    mb: int('mb', values.mb, 1, 50),
    rounds: int('rounds', values.rounds, 1, 20),
    mesh8: int('mesh8', values.mesh8, 1, 50),
    systems: values.systems.split(','),
    firstFrame: int('first-frame', values['first-frame'], 0, 50),
    firstFrameJoin: int('first-frame-join', values['first-frame-join'], 0, 50),
    firstFrameAb: ab ?? null,
    dtlsPairs: int('dtls-pairs', values['dtls-pairs'], 0, 500),
    racePairs: int('race-pairs', values['race-pairs'], 0, 5_000),
    raceParallel: int('race-parallel', values['race-parallel'], 1, 16),
    raceBusy: int('race-busy', values['race-busy'], 0, 4),
  }
}
