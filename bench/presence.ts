/**
 * `presence` benchmark: the presence engine through the real broker process on 127.0.0.1 — join
 * latency (2 and 8 participants, each in its own process), failover after SIGKILL of the authority
 * process, and a 200-room churn run with a convergence check and the broker's RSS. See README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import {
  PARTICIPANT_ENTRY,
  spawnParticipant,
  waitUntil,
  type ParticipantProcess,
  type ParticipantView,
} from '@kibitz/test-utils'
import { bundleEntry } from './lib/bundle.js'
import { startDelayProxy } from './lib/delay-proxy.js'
import { rssMb, sleep, startEntry, type ServerProcess } from './lib/proc.js'
import { BENCH_DIR, REPO_DIR, writeResult, type FlatResult } from './lib/results.js'
import { percentileSorted, round } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const log = (s: string) => console.error(s)
const now = () => performance.timeOrigin + performance.now()

export interface PresenceBenchOptions {
  /** Trials per join size and for failover (medians need ≥ 20). */
  trials: number
  /** One-way delay (ms) of the WAN join phase's link to the broker; 0 skips the phase. */
  wanMs: number
  churnRooms: number
  perRoom: number
  churnSeconds: number
  /** Load processes holding the churn rooms (rooms are split evenly). */
  loadProcs: number
  /** Longest wait for the churn rooms to converge after the churn stops. */
  quiesceSeconds: number
  /** `node`: plain-node bundles of the entries (default); `tsx`: tsx on the sources. */
  runtime: 'node' | 'tsx'
}

const TSX = ['--import', import.meta.resolve('tsx')]
const entries = { broker: '', participant: '', churn: '', probe: '' }

async function prepareEntries(o: PresenceBenchOptions): Promise<void> {
  const broker = join(REPO_DIR, 'packages/broker/src/cli.ts')
  const churn = join(BENCH_DIR, 'lib/presence-churn.ts')
  const probe = join(BENCH_DIR, 'lib/gc-probe.ts')
  if (o.runtime === 'tsx') {
    Object.assign(entries, { broker, participant: PARTICIPANT_ENTRY, churn, probe })
    return
  }
  entries.probe = await bundleEntry(probe, 'gc-probe')
  entries.broker = await bundleEntry(broker, 'kibitz-broker')
  entries.participant = await bundleEntry(PARTICIPANT_ENTRY, 'presence-participant')
  entries.churn = await bundleEntry(churn, 'presence-churn')
}

const runtimeArgs = (o: PresenceBenchOptions) => [
  '--conditions=@kibitz/source',
  ...(o.runtime === 'tsx' ? TSX : []),
]

function startKibitz(o: PresenceBenchOptions): Promise<ServerProcess> {
  return startEntry({
    name: 'kibitz broker',
    nodeArgs: [...runtimeArgs(o), '--expose-gc', '--import', pathToFileURL(entries.probe).href],
    entry: entries.broker,
    args: ['--host', '127.0.0.1'],
    cwd: REPO_DIR,
  })
}

// ── participants in their own processes ──────────────────────────────────────────────────────

const spawned = new Set<ParticipantProcess>()
process.on('exit', () => {
  for (const p of spawned) if (p.alive) process.kill(p.pid, 'SIGKILL')
})

async function spawnPool(o: PresenceBenchOptions, n: number): Promise<ParticipantProcess[]> {
  const ps = await Promise.all(
    Array.from({ length: n }, () =>
      spawnParticipant({ entry: entries.participant, runtime: o.runtime }),
    ),
  )
  for (const p of ps) spawned.add(p)
  return ps
}

const keyOf = (v: ParticipantView) =>
  `${v.phase}|${v.authority}|${v.participants
    .map((p) => p.id)
    .sort()
    .join()}`

/** Since when (child clock) `p` has shown its current roster and authority without a change. */
function stableSince(p: ParticipantProcess): number {
  const final = p.view ? keyOf(p.view) : ''
  let t = p.viewAt
  for (let i = p.lines.length - 1; i >= 0; i--) {
    const line = p.lines[i]!
    if (line.ev !== 'snapshot') continue
    if (keyOf(line.view) !== final) break
    t = line.t
  }
  return t
}

function agree(group: readonly ParticipantProcess[]): boolean {
  const vs = group.map((p) => p.view)
  if (vs.some((v) => v === null || v.phase !== 'joined' || v.self === null)) return false
  const views = vs as ParticipantView[]
  const selves = views
    .map((v) => v.self!)
    .sort()
    .join()
  const authority = views[0]!.authority
  return (
    views.filter((v) => v.isAuthority).length === 1 &&
    views.every(
      (v) =>
        v.authority === authority &&
        v.participants.filter((m) => m.isAuthority && m.id === authority).length === 1 &&
        v.participants
          .map((m) => m.id)
          .sort()
          .join() === selves,
    )
  )
}

const converge = (group: readonly ParticipantProcess[], what: string) =>
  waitUntil(
    () => agree(group),
    15_000,
    what,
    () => group.map((p) => `${p.pid}: ${JSON.stringify(p.view)}`).join('\n'),
    2,
  )

let roomSeq = 0
const newRoom = (kind: string) =>
  `bench-${kind}-${process.pid}-${++roomSeq}-${Math.random().toString(36).slice(2, 8)}`

/**
 * One join trial: n − 1 already together; the n-th's `start` → it is on all n rosters. Everyone
 * joins and claims inside the socket.io handshake (broker B21) and sends its first announce there
 * too (B22), as `@kibitz/call` does, unless `handshake` is false (join, claim and announce once
 * connected: two round trips later).
 */
async function joinTrial(
  url: string,
  pool: ParticipantProcess[],
  n: number,
  handshake = true,
): Promise<number> {
  const room = newRoom(`join${n}`)
  const base = pool.slice(0, n - 1)
  const joiner = pool[n - 1]!
  const group = pool.slice(0, n)
  await Promise.all(
    base.map((p, i) =>
      p.request({ cmd: 'start', url, room, name: `P${i}`, identity: newRoom('id'), handshake }),
    ),
  )
  await converge(base, `join${n}: the first ${n - 1}`)
  await sleep(50)
  const seq = joiner.send({
    cmd: 'start',
    url,
    room,
    name: `P${n - 1}`,
    identity: newRoom('id'),
    handshake,
  })
  await converge(group, `join${n}: everyone`)
  await waitUntil(() => joiner.reply(seq) !== undefined, 15_000, 'start reply')
  const at = joiner.reply(seq)!.at
  const ms = Math.max(...group.map(stableSince)) - at
  await Promise.all(group.map((p) => p.request({ cmd: 'leave' })))
  return ms
}

interface FailoverSample {
  failoverMs: number
  coldStartMs: number
}

/** 8 start together (cold start timed); SIGKILL the authority; the 7 converge (failover timed). */
async function failoverTrial(url: string, pool: ParticipantProcess[]): Promise<FailoverSample> {
  const room = newRoom('failover')
  const seqs = pool.map((p, i) =>
    p.send({ cmd: 'start', url, room, name: `P${i}`, identity: newRoom('id') }),
  )
  await converge(pool, 'failover: 8 together')
  await waitUntil(
    () => pool.every((p, i) => p.reply(seqs[i]!) !== undefined),
    15_000,
    'start replies',
  )
  const startedAt = Math.min(...pool.map((p, i) => p.reply(seqs[i]!)!.at))
  const coldStartMs = Math.max(...pool.map(stableSince)) - startedAt
  await sleep(100)
  const auth = pool.find((p) => p.view?.isAuthority)
  if (!auth) throw new Error('no authority')
  const survivors = pool.filter((p) => p !== auth)
  const t0 = now()
  process.kill(auth.pid, 'SIGKILL')
  await converge(survivors, 'failover: survivors')
  const failoverMs = Math.max(...survivors.map(stableSince)) - t0
  await auth.kill('SIGKILL') // reaps the exit
  spawned.delete(auth)
  pool.splice(pool.indexOf(auth), 1)
  await Promise.all(survivors.map((p) => p.request({ cmd: 'leave' })))
  return { failoverMs, coldStartMs }
}

// ── churn load processes ─────────────────────────────────────────────────────────────────────

interface LoadProcess {
  child: ChildProcess
  lines: Record<string, unknown>[]
  send(cmd: Record<string, unknown>): void
  waitFor(ev: string, timeoutMs: number): Promise<Record<string, unknown>>
}

const loads = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of loads) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL')
})

function startLoad(o: PresenceBenchOptions, url: string, rooms: number, i: number): LoadProcess {
  const child = spawn(
    process.execPath,
    [
      ...runtimeArgs(o),
      entries.churn,
      '--url',
      url,
      '--rooms',
      String(rooms),
      '--per-room',
      String(o.perRoom),
      '--seed',
      String(i + 1),
      '--prefix',
      `load${i}-${process.pid}`,
    ],
    { cwd: REPO_DIR, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  loads.add(child)
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)))
  const lines: Record<string, unknown>[] = []
  createInterface({ input: child.stdout! }).on('line', (raw) => {
    try {
      const line = JSON.parse(raw) as Record<string, unknown>
      lines.push(line)
      if (line.ev === 'progress') log(`  load ${i}: ${raw}`)
    } catch {
      stderr += raw
    }
  })
  return {
    child,
    lines,
    send: (cmd) => void child.stdin!.write(`${JSON.stringify(cmd)}\n`),
    async waitFor(ev, timeoutMs) {
      await waitUntil(
        () => lines.some((l) => l.ev === ev) || child.exitCode !== null,
        timeoutMs,
        `load ${i}: ${ev}`,
        () => stderr,
        50,
      )
      const line = lines.find((l) => l.ev === ev)
      if (!line) throw new Error(`load ${i} exited before ${ev}:\n${stderr}`)
      return line
    },
  }
}

interface ChurnResult {
  joinS: number
  diverged: number
  survivors: number
  quiesceMs: number
  joins: number
  leaves: number
  drops: number
  errors: number
  samples: string[]
  rss: {
    empty: number
    start: number
    mid: number
    peak: number
    endChurn: number
    quiesced: number
    left: number
  }
  /** The broker's own counts (`GET /healthz`): with everyone connected, and after all left. */
  health: { start: Health; left: Health }
  /** Broker memory right after a forced full GC: churn start, converged after churn, all left. */
  gc: { start: AfterGc; quiesced: AfterGc; left: AfterGc }
}

interface Health {
  sockets: number
  tags: number
}

async function health(broker: ServerProcess): Promise<Health> {
  const body = (await (await fetch(`${broker.url}/healthz`)).json()) as Partial<Health>
  return { sockets: Number(body.sockets ?? NaN), tags: Number(body.tags ?? NaN) }
}

interface AfterGc {
  rssMb: number
  heapMb: number
}

/** Force a full GC in the broker (gc-probe, SIGUSR2) and read its memory right after. */
async function afterGc(broker: ServerProcess): Promise<AfterGc> {
  const count = () => broker.output().split('gc-probe ').length
  const before = count()
  process.kill(broker.pid, 'SIGUSR2')
  await waitUntil(
    () => count() > before,
    10_000,
    'gc-probe reply',
    () => broker.output(),
    10,
  )
  const last = broker.output().split('gc-probe ').pop()!.split('\n')[0]!
  const m = JSON.parse(last) as { rss: number; heapUsed: number; gc: boolean }
  if (!m.gc) throw new Error('the broker was started without --expose-gc')
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 }
}

async function churnRun(o: PresenceBenchOptions, broker: ServerProcess): Promise<ChurnResult> {
  const empty = rssMb(broker.pid)
  const per = Math.ceil(o.churnRooms / o.loadProcs)
  const procs = Array.from({ length: o.loadProcs }, (_, i) =>
    startLoad(o, broker.url, Math.min(per, o.churnRooms - i * per), i),
  )
  try {
    const joined = await Promise.all(procs.map((p) => p.waitFor('joined', 120_000)))
    const joinS = Math.max(...joined.map((j) => Number(j.ms))) / 1000
    log(`churn: ${o.churnRooms} rooms × ${o.perRoom} joined in ${joinS.toFixed(1)} s`)
    await sleep(2_000)
    const start = rssMb(broker.pid)
    const gcStart = await afterGc(broker)
    const healthStart = await health(broker)
    let peak = start
    const series: number[] = []
    const t0 = performance.now()
    const sampler = setInterval(() => {
      const r = rssMb(broker.pid)
      peak = Math.max(peak, r)
      if (series.length < Math.floor((performance.now() - t0) / 5_000)) series.push(round(r, 1))
    }, 500)
    for (const p of procs) p.send({ cmd: 'churn', durationMs: o.churnSeconds * 1000 })
    const churned = procs.map((p) => p.waitFor('churned', o.churnSeconds * 1000 + 60_000))
    await Promise.all(churned)
    const endChurn = rssMb(broker.pid)
    log(`churn: broker RSS every 5 s (MB): ${series.join(' ')}`)
    const mid = series[Math.floor((o.churnSeconds / 5 - 1) / 2)] ?? NaN
    const results = await Promise.all(
      procs.map((p) => p.waitFor('result', o.quiesceSeconds * 1000 + 30_000)),
    )
    clearInterval(sampler)
    const quiesced = rssMb(broker.pid)
    const gcQuiesced = await afterGc(broker)
    for (const p of procs) p.send({ cmd: 'exit' })
    await Promise.all(
      procs.map((p) =>
        p.child.exitCode !== null
          ? null
          : new Promise((r) => {
              const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000)
              p.child.once('exit', () => r(clearTimeout(t)))
            }),
      ),
    )
    await sleep(2_000)
    const left = rssMb(broker.pid)
    const gcLeft = await afterGc(broker)
    const healthLeft = await health(broker)
    const sum = (k: string) => results.reduce((a, r) => a + Number(r[k] ?? 0), 0)
    return {
      joinS,
      diverged: sum('diverged'),
      survivors: sum('survivors'),
      quiesceMs: Math.max(...results.map((r) => Number(r.quiesceMs))),
      joins: sum('joins'),
      leaves: sum('leaves'),
      drops: sum('drops'),
      errors: sum('errors'),
      samples: results.flatMap((r) => (r.sample as string[] | undefined) ?? []),
      rss: { empty, start, mid, peak, endChurn, quiesced, left },
      health: { start: healthStart, left: healthLeft },
      gc: { start: gcStart, quiesced: gcQuiesced, left: gcLeft },
    }
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
  }
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const p50 = (xs: number[]) => percentileSorted(sorted(xs), 50)
const p95 = (xs: number[]) => percentileSorted(sorted(xs), 95)

export async function runPresenceBench(o: PresenceBenchOptions): Promise<FlatResult> {
  const t0 = performance.now()
  const loadAtStart = loadavg()[0]!
  if (loadAtStart > 0.5)
    log(`warning: 1-minute load average is ${loadAtStart.toFixed(2)} before start`)
  await prepareEntries(o)
  const broker = await startKibitz(o)
  log(`broker pid ${broker.pid} on ${broker.url}`)
  const join2: number[] = []
  const join2Requests: number[] = []
  const join8: number[] = []
  const wan2: number[] = []
  const wan2Requests: number[] = []
  const failover: number[] = []
  const cold8: number[] = []
  let churn: ChurnResult
  try {
    const pool = await spawnPool(o, 8)
    for (let t = 0; t < o.trials; t++) {
      // Alternate which 2-participant variant goes first: the first one follows the previous
      // round's 8-participant trial (its leaves still settling on the broker).
      for (const handshake of t % 2 === 0 ? [true, false] : [false, true])
        (handshake ? join2 : join2Requests).push(await joinTrial(broker.url, pool, 2, handshake))
      join8.push(await joinTrial(broker.url, pool, 8))
    }
    log(
      `join: 2 → p50 ${p50(join2).toFixed(1)} ms (requests once connected: ` +
        `${p50(join2Requests).toFixed(1)} ms); 8 → p50 ${p50(join8).toFixed(1)} ms`,
    )
    if (o.wanMs > 0) {
      // The same 2-participant join with every participant ↔ broker byte delayed by `wanMs`.
      const proxy = await startDelayProxy(Number(new URL(broker.url).port), o.wanMs)
      try {
        for (let t = 0; t < o.trials; t++)
          for (const handshake of t % 2 === 0 ? [true, false] : [false, true])
            (handshake ? wan2 : wan2Requests).push(await joinTrial(proxy.url, pool, 2, handshake))
      } finally {
        await proxy.close()
      }
      log(
        `join over a ${o.wanMs} ms one-way link: p50 ${p50(wan2).toFixed(1)} ms ` +
          `(requests once connected: ${p50(wan2Requests).toFixed(1)} ms)`,
      )
    }
    for (let t = 0; t < o.trials; t++) {
      const s = await failoverTrial(broker.url, pool)
      failover.push(s.failoverMs)
      cold8.push(s.coldStartMs)
      pool.push(...(await spawnPool(o, 8 - pool.length)))
    }
    log(`failover: p50 ${p50(failover).toFixed(1)} ms, p95 ${p95(failover).toFixed(1)} ms`)
    await Promise.all(pool.map((p) => p.stop()))
    churn = await churnRun(o, broker)
    log(`churn: ${churn.diverged} diverged rooms; ${churn.samples.join('; ')}`)
  } catch (e) {
    log(`--- broker output (tail) ---\n${broker.output().slice(-3000)}`)
    throw e
  } finally {
    await Promise.all([...spawned].map((p) => p.stop()))
    await broker.stop()
  }

  const failoverMet = p95(failover) <= 500
  const rssGrowth = churn.rss.quiesced - churn.rss.start
  const result: FlatResult = {
    join_ms_p50_2: round(p50(join2), 1),
    join_ms_p95_2: round(p95(join2), 1),
    join_ms_p50_2_requests: round(p50(join2Requests), 1),
    join_ms_p95_2_requests: round(p95(join2Requests), 1),
    join_handshake_ratio_2: round(p50(join2) / p50(join2Requests), 3),
    ...(o.wanMs > 0
      ? {
          wan_one_way_ms: o.wanMs,
          join_wan_ms_p50_2: round(p50(wan2), 1),
          join_wan_ms_p95_2: round(p95(wan2), 1),
          join_wan_ms_p50_2_requests: round(p50(wan2Requests), 1),
          join_wan_ms_p95_2_requests: round(p95(wan2Requests), 1),
          join_wan_handshake_saving_ms: round(p50(wan2Requests) - p50(wan2), 1),
        }
      : {}),
    join_ms_p50_8: round(p50(join8), 1),
    join_ms_p95_8: round(p95(join8), 1),
    cold_start_ms_p50_8: round(p50(cold8), 1),
    cold_start_ms_p95_8: round(p95(cold8), 1),
    failover_ms_p50: round(p50(failover), 1),
    failover_ms_p95: round(p95(failover), 1),
    failover_ms_max: round(Math.max(...failover), 1),
    failover_target_ms: 500,
    failover_target_met: failoverMet ? 1 : 0,
    trials: o.trials,
    churn_rooms: o.churnRooms,
    churn_per_room: o.perRoom,
    churn_seconds: o.churnSeconds,
    churn_load_processes: o.loadProcs,
    churn_initial_join_s: round(churn.joinS, 1),
    churn_joins: churn.joins,
    churn_polite_leaves: churn.leaves,
    churn_socket_drops: churn.drops,
    churn_start_errors: churn.errors,
    churn_survivors: churn.survivors,
    churn_diverged_rooms: churn.diverged,
    churn_quiesce_ms: round(churn.quiesceMs, 0),
    broker_rss_mb_empty: round(churn.rss.empty, 1),
    broker_rss_mb_churn_start: round(churn.rss.start, 1),
    broker_rss_mb_churn_mid: round(churn.rss.mid, 1),
    broker_rss_mb_churn_peak: round(churn.rss.peak, 1),
    broker_rss_mb_churn_end: round(churn.rss.endChurn, 1),
    broker_rss_mb_quiesced: round(churn.rss.quiesced, 1),
    broker_rss_mb_after_leave: round(churn.rss.left, 1),
    broker_rss_growth_mb: round(rssGrowth, 1),
    broker_rss_growth_second_half_mb: round(churn.rss.endChurn - churn.rss.mid, 1),
    broker_heap_mb_gc_churn_start: round(churn.gc.start.heapMb, 1),
    broker_heap_mb_gc_quiesced: round(churn.gc.quiesced.heapMb, 1),
    broker_heap_mb_gc_after_leave: round(churn.gc.left.heapMb, 1),
    broker_heap_growth_mb_gc: round(churn.gc.quiesced.heapMb - churn.gc.start.heapMb, 1),
    broker_rss_mb_gc_churn_start: round(churn.gc.start.rssMb, 1),
    broker_rss_mb_gc_quiesced: round(churn.gc.quiesced.rssMb, 1),
    broker_sockets_churn_start: churn.health.start.sockets,
    broker_tags_churn_start: churn.health.start.tags,
    broker_sockets_after_leave: churn.health.left.sockets,
    broker_tags_after_leave: churn.health.left.tags,
    runtime_tsx: o.runtime === 'tsx' ? 1 : 0,
    loadavg_1m_at_start: round(loadAtStart, 2),
    wall_s: round((performance.now() - t0) / 1000, 1),
  }
  const row = (name: string, xs: number[]) => [
    name,
    round(p50(xs), 1),
    round(p95(xs), 1),
    round(Math.min(...xs), 1),
    round(Math.max(...xs), 1),
    xs.length,
  ]
  const latency = renderTable(
    ['metric (ms)', 'p50', 'p95', 'min', 'max', 'trials'],
    [
      row('join, 2nd of 2: start → on both rosters', join2),
      row('  the same, join/claim/announce once connected', join2Requests),
      ...(o.wanMs > 0
        ? [
            row(`join, 2nd of 2, over a ${o.wanMs} ms one-way link to the broker`, wan2),
            row('  the same, join/claim/announce once connected', wan2Requests),
          ]
        : []),
      row('join, 8th of 8: start → on all 8 rosters', join8),
      row('cold start, 8 at once → one roster', cold8),
      row('failover: SIGKILL authority → 7 agree', failover),
    ],
  )
  const churnTable = renderTable(
    ['churn', 'value'],
    [
      ['rooms × participants', `${o.churnRooms} × ${o.perRoom}`],
      ['churn duration (s)', o.churnSeconds],
      ['joins / polite leaves / socket drops', `${churn.joins} / ${churn.leaves} / ${churn.drops}`],
      ['start errors', churn.errors],
      ['survivors after churn', churn.survivors],
      ['diverged rooms after quiescence', churn.diverged],
      ['time to converge after churn (ms)', round(churn.quiesceMs, 0)],
      ['broker RSS empty (MB)', round(churn.rss.empty, 1)],
      [
        'broker sockets / tags: churn start → after all left',
        `${churn.health.start.sockets} / ${churn.health.start.tags} → ${churn.health.left.sockets} / ${churn.health.left.tags}`,
      ],
      ['broker RSS churn start / mid / end / peak (MB)', rssRow(churn.rss)],
      [
        'broker heap after forced GC: churn start / converged / all left (MB)',
        [churn.gc.start, churn.gc.quiesced, churn.gc.left]
          .map((g) => round(g.heapMb, 1))
          .join(' / '),
      ],
      [
        'broker RSS after forced GC: churn start / converged (MB)',
        `${round(churn.gc.start.rssMb, 1)} / ${round(churn.gc.quiesced.rssMb, 1)}`,
      ],
      [
        'broker RSS quiesced / after all left (MB)',
        `${round(churn.rss.quiesced, 1)} / ${round(churn.rss.left, 1)}`,
      ],
    ],
  )
  console.log(JSON.stringify(result, null, 2))
  console.log()
  console.log(latency)
  console.log()
  console.log(churnTable)
  console.log()
  console.log(
    `targets: failover ≤ 500 ms (p95): ${failoverMet ? 'MET' : 'MISSED'} ` +
      `(p50 ${result.failover_ms_p50} ms, p95 ${result.failover_ms_p95} ms); ` +
      `churn diverged rooms = 0: ${churn.diverged === 0 ? 'MET' : `MISSED (${churn.diverged})`}; ` +
      `broker RSS growth over the churn ${rssGrowth.toFixed(1)} MB ` +
      `(heap after forced GC ${(churn.gc.quiesced.heapMb - churn.gc.start.heapMb).toFixed(1)} MB)`,
  )
  const file = writeResult('presence', result)
  log(`wrote ${file}`)
  return result
}

const rssRow = (r: ChurnResult['rss']) =>
  [r.start, r.mid, r.endChurn, r.peak].map((v) => round(v, 1)).join(' / ')

export function parsePresenceArgs(argv: string[]): PresenceBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      trials: { type: 'string', default: '20' },
      'wan-ms': { type: 'string', default: '25' },
      rooms: { type: 'string', default: '200' },
      'per-room': { type: 'string', default: '5' },
      duration: { type: 'string', default: '60' },
      'load-procs': { type: 'string', default: '2' },
      quiesce: { type: 'string', default: '30' },
      runtime: { type: 'string', default: 'node' },
    },
  })
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`)
    return n
  }
  if (values.runtime !== 'node' && values.runtime !== 'tsx')
    throw new Error('--runtime must be node or tsx')
  return {
    trials: int('trials', values.trials, 1, 200),
    wanMs: int('wan-ms', values['wan-ms'], 0, 500),
    churnRooms: int('rooms', values.rooms, 1, 1000),
    perRoom: int('per-room', values['per-room'], 2, 16),
    churnSeconds: int('duration', values.duration, 1, 600),
    loadProcs: int('load-procs', values['load-procs'], 1, 8),
    quiesceSeconds: int('quiesce', values.quiesce, 1, 120),
    runtime: values.runtime,
  }
}
