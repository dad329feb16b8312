/**
 * The load patterns, written once and driven through the Transport interface so both systems see
 * exactly the same code path: connect N clients into rooms of K, then a closed loop where every
 * client keeps W frames in flight to the other members of its room (round-robin).
 */
import type { RelayClient, Transport } from './clients.js'
import { cpuSeconds, rssMb, sleep } from './proc.js'
import { Samples, summarize, type Summary } from './stats.js'

export interface ConnectOptions {
  sockets: number
  perRoom: number
  /** Clients connecting concurrently. */
  batch: number
  /** Called after each batch (progress). */
  onBatch?: (done: number) => void
}

/** Connect `sockets` clients, `perRoom` to a room, in batches. Client i is in room ⌊i / perRoom⌋. */
export async function connectAll(
  t: Transport,
  opts: ConnectOptions,
  onFrame: (receiver: number, sender: number, sentAt: number) => void,
): Promise<RelayClient[]> {
  const clients: RelayClient[] = new Array(opts.sockets)
  let room = ''
  const rooms: string[] = []
  for (let i = 0; i < opts.sockets; i++) {
    if (i % opts.perRoom === 0) room = t.newRoom()
    rooms.push(room)
  }
  for (let start = 0; start < opts.sockets; start += opts.batch) {
    const end = Math.min(opts.sockets, start + opts.batch)
    const batch: Promise<void>[] = []
    for (let i = start; i < end; i++) {
      const receiver = i
      batch.push(
        t
          .connect(rooms[i]!, (sender, sentAt) => onFrame(receiver, sender, sentAt))
          .then((c) => {
            clients[receiver] = c
          }),
      )
    }
    await Promise.all(batch)
    opts.onBatch?.(end)
  }
  return clients
}

export interface RelayOptions {
  sockets: number
  perRoom: number
  /** Frames in flight per client (closed loop). */
  window: number
  warmupMs: number
  measureMs: number
  batch: number
  serverPid: number
  /** Open-loop phase after the closed loop: this many frames/s offered in total (0 = skip). */
  pacedFps: number
  pacedMs: number
}

export interface RelayResult {
  /** Frames delivered per second during the measurement window. */
  fps: number
  latency: Summary
  /** Frames delivered per second per socket (sender side), to compare against a rate limit. */
  perSocketFps: number
  serverRssMb: number
  serverRssPeakMb: number
  /** CPU use during the window, in cores (1.0 = one core fully busy). */
  serverCpu: number
  generatorCpu: number
  connectMs: number
  refused: number
  disconnects: number
  /** Frames still undelivered 2 s after the loop stopped. */
  lost: number
  /** One-way latency at the fixed offered load `pacedFps` (equal for every system). */
  pacedLatency: Summary | null
  pacedDeliveredFps: number
}

/** Run the closed loop and measure delivered frames/s, one-way latency, server RSS and CPU. */
export async function runRelay(t: Transport, o: RelayOptions): Promise<RelayResult> {
  if (o.perRoom < 2) throw new Error('perRoom must be ≥ 2')
  const now = () => performance.now()
  let running = false
  let measureFrom = Infinity
  let measureTo = Infinity
  let delivered = 0
  let sent = 0
  let received = 0
  const samples = new Samples()
  const pacedSamples = new Samples()
  let pacing = false
  let pacedDelivered = 0
  const rr = new Uint32Array(o.sockets)
  let clients: RelayClient[] = []

  const sendNext = (i: number) => {
    // Round-robin over the other members of i's room.
    const base = i - (i % o.perRoom)
    rr[i] = (rr[i]! % (o.perRoom - 1)) + 1
    const peer = base + ((i - base + rr[i]!) % o.perRoom)
    sent++
    clients[i]!.send(clients[peer]!.id, i, now())
  }

  const onFrame = (_receiver: number, sender: number, sentAt: number) => {
    received++
    const at = now()
    if (at >= measureFrom && at < measureTo) {
      delivered++
      samples.add(at - sentAt)
    }
    if (pacing) {
      pacedDelivered++
      pacedSamples.add(at - sentAt)
    }
    if (running) sendNext(sender)
  }

  const c0 = now()
  clients = await connectAll(t, { sockets: o.sockets, perRoom: o.perRoom, batch: o.batch }, onFrame)
  const connectMs = now() - c0
  await sleep(500)

  running = true
  for (let w = 0; w < o.window; w++) for (let i = 0; i < o.sockets; i++) sendNext(i)
  await sleep(o.warmupMs)

  let rssPeak = 0
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMb(o.serverPid))
  }, 250)
  const srvCpu0 = cpuSeconds(o.serverPid)
  const genCpu0 = process.cpuUsage()
  measureFrom = now()
  measureTo = measureFrom + o.measureMs
  await sleep(o.measureMs)
  const elapsed = (now() - measureFrom) / 1000
  const srvCpu = (cpuSeconds(o.serverPid) - srvCpu0) / elapsed
  const genUse = process.cpuUsage(genCpu0)
  const genCpu = (genUse.user + genUse.system) / 1e6 / elapsed
  const serverRssMb = rssMb(o.serverPid)
  clearInterval(sampler)
  rssPeak = Math.max(rssPeak, serverRssMb)

  running = false
  await sleep(2000)
  const lost = sent - received

  // Open loop: the same offered load for every system, so latency compares at equal load.
  if (o.pacedFps > 0) {
    let next = 0
    let last = now()
    let owed = 0
    const tick = setInterval(() => {
      const t = now()
      owed += ((t - last) / 1000) * o.pacedFps
      last = t
      for (; owed >= 1; owed--) {
        sendNext(next)
        next = (next + 1) % o.sockets
      }
    }, 1)
    await sleep(1000) // warm-up at the paced rate
    pacing = true
    await sleep(o.pacedMs)
    pacing = false
    clearInterval(tick)
    await sleep(1000)
  }
  for (const c of clients) c.close()
  await sleep(200)

  const measuredSec = o.measureMs / 1000
  return {
    fps: delivered / measuredSec,
    latency: summarize(samples),
    perSocketFps: delivered / measuredSec / o.sockets,
    serverRssMb,
    serverRssPeakMb: rssPeak,
    serverCpu: srvCpu,
    generatorCpu: genCpu,
    connectMs,
    refused: t.counters.refused,
    disconnects: t.counters.disconnects,
    lost,
    pacedLatency: o.pacedFps > 0 ? summarize(pacedSamples) : null,
    pacedDeliveredFps: pacedDelivered / (o.pacedMs / 1000),
  }
}

export interface IdleOptions {
  sockets: number
  perRoom: number
  batch: number
  serverPid: number
  settleMs: number
}

export interface IdleResult {
  baselineRssMb: number
  rssMb: number
  connectMs: number
  disconnects: number
}

/** Open `sockets` idle clients (joined to rooms), let them settle, and read the server's RSS. */
export async function runIdle(
  t: Transport,
  o: IdleOptions,
  log: (s: string) => void,
): Promise<IdleResult> {
  const baselineRssMb = rssMb(o.serverPid)
  const c0 = performance.now()
  const clients = await connectAll(
    t,
    {
      sockets: o.sockets,
      perRoom: o.perRoom,
      batch: o.batch,
      onBatch: (done) => {
        if (done % 2000 === 0 || done === o.sockets)
          log(`  ${t.name}: ${done}/${o.sockets} connected`)
      },
    },
    () => {},
  )
  const connectMs = performance.now() - c0
  await sleep(o.settleMs)
  const rss = rssMb(o.serverPid)
  const disconnects = t.counters.disconnects
  for (const c of clients) c.close()
  await sleep(500)
  return { baselineRssMb, rssMb: rss, connectMs, disconnects }
}
