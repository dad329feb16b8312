/**
 * First remote video frame in Chromium, Kibitz vs bare simple-peer (issue 4, media part; called
 * by `mesh.ts`). Two pages, each in its own browser context of one headless Chromium (the
 * TESTING.md flags, fake camera), navigate at the same moment; each records `performance.now()`
 * (= ms since its own navigation started) when its `<video>` presents the first frame of the
 * other page's camera (`requestVideoFrameCallback`, width > 2). A round is the later of the two
 * pages. Kibitz = the headless controller (`createCall` + `join({ cam: true })` through the real
 * broker: presence, TURN lookup, the mesh with its four lanes, the camera swapped in by
 * `replaceTrack`); bare = simple-peer with the camera as its stream over a trivial WebSocket relay
 * (`room-relay-server.ts`). Both signaling servers run as child processes (plain-node bundles).
 * Same browser, flags and loopback-only ICE; minified page bundles; rounds alternate order.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  bundleForBrowser,
  hasChromium,
  launchChromium,
  serveStatic,
  type ChromiumHandle,
} from '@kibitz/test-utils'
import type { FirstFrameResult } from './first-frame-types.js'
import { bundleEntry } from './bundle.js'
import { startEntry } from './proc.js'
import { cpuBetween, snapshotDescendants } from './proc-tree.js'
import { BENCH_DIR, REPO_DIR, type FlatResult } from './results.js'
import { percentileSorted, round } from './stats.js'
import type { Variant } from './variant.js'
import { renderTable } from './table.js'

const log = (s: string) => console.error(s)
/** `KIBITZ_BENCH_TRACE=1`: the Kibitz pages record a start-up trace (first-frame-probe.ts), logged per page. */
const TRACE = process.env.KIBITZ_BENCH_TRACE === '1'
/**
 * `KIBITZ_BENCH_PROFILE=<dir>`: each measured page's main thread is sampled (CDP `Profiler`, 200 µs)
 * from navigation to its first frame and written as `<dir>/<tag>-<round>-<i>.cpuprofile`
 * (`lib/cpuprofile.ts` summarizes one). Sampling slows the pages: not for ratios.
 */
const PROFILE_DIR = process.env.KIBITZ_BENCH_PROFILE ?? null
/**
 * `KIBITZ_BENCH_HEAP=1` (with `KIBITZ_BENCH_PROFILE=<dir>`): sample the pages' allocations instead
 * of their CPU (CDP `HeapProfiler`, one sample per KiB, objects already collected included) into
 * `<dir>/<tag>-<round>-<i>.heapprofile`; `lib/heapprofile.ts <dir>` sums them per system.
 */
const HEAP = process.env.KIBITZ_BENCH_HEAP === '1'
/**
 * `KIBITZ_BENCH_CPU=1`: the CPU every process of the run (Chromium's, the broker's, the relay's)
 * used in each measured round, by process kind and thread name (`lib/proc-tree.ts`), summed per
 * system and logged at the end: which part of the machine a round's time went to.
 */
const CPU = process.env.KIBITZ_BENCH_CPU === '1'
/**
 * `KIBITZ_BENCH_CHROME_TRACE=<dir>`: a Chromium trace (every process and thread, `toplevel` and
 * WebRTC categories) of each measured round into `<dir>/<tag>-<round>.json`, for chrome://tracing
 * or Perfetto: what the thread pools and the browser process did.
 */
const CHROME_TRACE_DIR = process.env.KIBITZ_BENCH_CHROME_TRACE ?? null
/** system → label → [ms on a CPU, ms waiting for one] per measured round. */
const cpuByTag = new Map<string, Map<string, { run: number; wait: number }[]>>()
let profiled = 0

/** Trace entries that are not times since navigation (first-frame-probe.ts). */
const NOT_TIMES = new Set(['atx', 'atxN'])

/**
 * A page's marks in time order (ms since its navigation), then its first frame. `nav +N` = its
 * navigation started N ms after the earliest page's of the pair (`base`, epoch ms), so two lines
 * compare on one clock once N is added to the second's times.
 */
function traceLine(p: FirstFrameResult, base: number): string {
  const marks = Object.entries(p.marks)
    .filter(([k]) => !NOT_TIMES.has(k))
    .sort((x, y) => x[1] - y[1])
  const nav = `nav +${Math.round(p.origin - base)}, `
  const atx =
    p.marks.atx === undefined
      ? ''
      : `; addTransceiver ×${p.marks.atxN} held ${p.marks.atx.toFixed(1)} ms`
  return `${nav}${marks.map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} → frame ${Math.round(p.firstFrameMs!)}${atx}`
}

/**
 * Each binary frame `from` sent that `to` received, in send order: `<sent at>→<ms in transit>`
 * (sent at = ms since the earlier navigation, `base`). Page clocks are one machine's clock.
 */
function wireLine(from: FirstFrameResult, to: FirstFrameResult, base: number): string {
  const received = new Map(to.wire?.rx ?? [])
  return (from.wire?.tx ?? [])
    .filter(([key]) => received.has(key))
    .map(([key, at]) => `${Math.round(at - base)}→${Math.round(received.get(key)! - at)}`)
    .join(' ')
}

/** One page pair gets this long to show each other's camera. */
const ROUND_TIMEOUT_MS = 20_000

/** Join rounds: how long the first page sits idle in its call before the second navigates. */
const JOIN_SETTLE_MS = 300

/** In its call, camera on: the Kibitz page is rostered, the bare page has its connection. */
const READY = {
  kibitz:
    'window.firstFrame && window.firstFrame.marks.rostered !== undefined && window.firstFrame.marks.camera !== undefined',
  bare: 'window.firstFrame && window.firstFrame.marks.pc !== undefined',
}

/**
 * A join round, on the joiner's clock: from its navigation until both pages show each other's
 * camera (the first page's frame moved onto the joiner's clock by the pages' `timeOrigin`s).
 */
const joinMs = ([first, joiner]: FirstFrameResult[]): number =>
  Math.max(joiner!.firstFrameMs!, first!.origin + first!.firstFrameMs! - joiner!.origin)

/** Per system: the rounds' first-frame times, and the stages each page reported (see the pages). */
export interface FirstFrameSeries {
  ms: number[]
  marks: Record<string, number[]>
  /** CPU every process of the run used in the round (ms on a CPU, `lib/proc-tree.ts`). */
  cpuMs: number[]
}

export interface FirstFrameResults {
  kibitz: FirstFrameSeries
  bare: FirstFrameSeries
  /** Join rounds (ms, see {@link joinMs}). */
  join: { kibitz: number[]; bare: number[] }
}

/** A round = the later page of the pair, for the first frame and for every stage. */
function record(series: FirstFrameSeries, { pages, cpuMs }: PairResult): void {
  series.cpuMs.push(cpuMs)
  series.ms.push(Math.max(...pages.map((p) => p.firstFrameMs!)))
  for (const name of Object.keys(pages[0]!.marks)) {
    const at = pages.map((p) => p.marks[name])
    if (at.every((t) => t !== undefined)) (series.marks[name] ??= []).push(Math.max(...at))
  }
}

/** Both pages' results, and the CPU the whole run's processes used meanwhile. */
interface PairResult {
  pages: FirstFrameResult[]
  cpuMs: number
}

/**
 * Open two fresh contexts and navigate them: at once, or with `joinAfter` (a page expression) the
 * second only once the first is in its call and idle — someone joining a call already running.
 * Resolves to each page's result, with the CPU used from navigation until both had their frames.
 */
async function pair(
  chromium: ChromiumHandle,
  urls: [string, string],
  tag: string,
  joinAfter: string | null = null,
) {
  const pages = await Promise.all(
    urls.map((_, i) => chromium.newPage(undefined, { name: `${tag}-${i}` })),
  )
  const profilers = PROFILE_DIR
    ? await Promise.all(
        pages.map(async (p) => {
          const cdp = await p.context().newCDPSession(p)
          if (HEAP) {
            await cdp.send('HeapProfiler.enable')
            await cdp.send('HeapProfiler.startSampling', {
              samplingInterval: 1024,
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC: true,
            })
            return cdp
          }
          await cdp.send('Profiler.enable')
          await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
          await cdp.send('Profiler.start')
          return cdp
        }),
      )
    : null
  const cpuBefore = snapshotDescendants()
  if (CHROME_TRACE_DIR !== null) {
    mkdirSync(CHROME_TRACE_DIR, { recursive: true })
    await chromium.browser.startTracing(undefined, {
      categories: [
        'toplevel',
        'webrtc',
        'v8',
        'blink',
        'gpu',
        'media',
        'audio',
        'disabled-by-default-devtools.timeline',
      ],
    })
  }
  try {
    if (joinAfter === null) await Promise.all(pages.map((p, i) => p.goto(urls[i]!)))
    else {
      await pages[0]!.goto(urls[0])
      await pages[0]!.waitForFunction(joinAfter, null, { timeout: ROUND_TIMEOUT_MS })
      await new Promise((r) => setTimeout(r, JOIN_SETTLE_MS))
      await pages[1]!.goto(urls[1])
    }
    // A string, not a function: the bench runs under tsx, whose helpers do not exist in the page.
    const done =
      'window.firstFrame && (window.firstFrame.firstFrameMs !== null || window.firstFrame.error !== null) ? window.firstFrame : null'
    const round = ++profiled
    const results = await Promise.all(
      pages.map(async (p, i) => {
        const handle = await p.waitForFunction(done, null, {
          timeout: ROUND_TIMEOUT_MS,
          // Checked in the page each frame: no polling traffic through this process.
          polling: 'raf',
        })
        const cdp = profilers?.[i]
        if (cdp && PROFILE_DIR) {
          const { profile } = HEAP
            ? await cdp.send('HeapProfiler.stopSampling')
            : await cdp.send('Profiler.stop')
          writeFileSync(
            join(PROFILE_DIR, `${tag}-${round}-${i}.${HEAP ? 'heapprofile' : 'cpuprofile'}`),
            JSON.stringify(profile),
          )
        }
        const r = (await handle.jsonValue()) as FirstFrameResult
        if (r.error !== null || r.firstFrameMs === null) throw new Error(`${tag}: ${r.error}`)
        if (TRACE)
          r.wire = (await p.evaluate('window.firstFrameWire ?? null')) as FirstFrameResult['wire']
        return r
      }),
    )
    if (CHROME_TRACE_DIR !== null)
      writeFileSync(
        join(CHROME_TRACE_DIR, `${tag}-${round}.json`),
        await chromium.browser.stopTracing(),
      )
    const used = cpuBetween(cpuBefore, snapshotDescendants())
    let cpuMs = 0
    for (const time of used.values()) cpuMs += time.run
    if (CPU) {
      const perTag = cpuByTag.get(tag) ?? new Map<string, { run: number; wait: number }[]>()
      cpuByTag.set(tag, perTag)
      for (const [label, time] of used) {
        const xs = perTag.get(label) ?? []
        perTag.set(label, xs)
        xs[round] = time
      }
    }
    return { pages: results, cpuMs }
  } finally {
    await Promise.all(pages.map((p) => p.context().close()))
  }
}

/**
 * `rounds` measured pairs per system (plus one warm-up each), alternating which goes first; then
 * `joinRounds` join rounds per system, alternating likewise.
 */
export async function measureFirstFrame(
  rounds: number,
  joinRounds = 0,
  variant: Variant | null = null,
): Promise<FirstFrameResults | null> {
  if (!hasChromium()) {
    log('   first frame: no Chromium (apt-get install -y chromium): skipped')
    return null
  }
  const lib = join(BENCH_DIR, 'lib')
  // The signaling servers run as their own processes (plain-node bundles), as they would in
  // production: never on the event loop that drives the browser.
  const [kibitzJs, bareJs, variantJs, brokerEntry, relayEntry] = await Promise.all([
    // Minified, as production pages ship (start-up includes parsing the page's script); not
    // when profiling, so the profile names functions.
    // Without the Node shims simple-peer needs (bundle.ts): nothing on the Kibitz side uses
    // them, and an app's bundler would not add them (the bare page keeps them: simple-peer does).
    bundleForBrowser({
      entry: join(lib, 'first-frame-kibitz-page.ts'),
      resolveDir: lib,
      minify: PROFILE_DIR === null,
      nodeShims: false,
    }),
    bundleForBrowser({
      entry: join(lib, 'first-frame-bare-page.ts'),
      resolveDir: lib,
      minify: PROFILE_DIR === null,
    }),
    // A/B: the same page and packages at another revision (lib/variant.ts), built the same way.
    variant
      ? bundleForBrowser({
          entry: join(variant.dir, 'bench/lib/first-frame-kibitz-page.ts'),
          resolveDir: join(variant.dir, 'bench/lib'),
          minify: PROFILE_DIR === null,
          nodeShims: false,
        })
      : null,
    bundleEntry(join(REPO_DIR, 'packages/broker/src/cli.ts'), 'first-frame-broker'),
    bundleEntry(join(lib, 'room-relay-server.ts'), 'first-frame-relay'),
  ])
  const [broker, relay] = await Promise.all([
    startEntry({
      name: 'kibitz broker',
      nodeArgs: [],
      entry: brokerEntry,
      args: ['--host', '127.0.0.1'],
      cwd: REPO_DIR,
    }),
    startEntry({ name: 'room relay', nodeArgs: [], entry: relayEntry, cwd: REPO_DIR }),
  ])
  if (PROFILE_DIR !== null) {
    // The profiles' line numbers point into these (unminified) bundles.
    mkdirSync(PROFILE_DIR, { recursive: true })
    writeFileSync(join(PROFILE_DIR, 'kibitz.js'), kibitzJs)
    writeFileSync(join(PROFILE_DIR, 'bare.js'), bareJs)
  }
  const html = (script: string) => `<!doctype html><body><script src="/${script}"></script></body>`
  const server = await serveStatic({
    '/kibitz.html': html('kibitz.js'),
    '/kibitz.js': kibitzJs,
    '/bare.html': html('bare.js'),
    '/bare.js': bareJs,
    ...(variantJs ? { '/variant.html': html('variant.js'), '/variant.js': variantJs } : {}),
  })
  // The controller's silent AudioContext placeholder starts without a click (both get the flag).
  const chromium = await launchChromium({
    extraArgs: ['--autoplay-policy=no-user-gesture-required'],
  })
  const out: FirstFrameResults = {
    kibitz: { ms: [], marks: {}, cpuMs: [] },
    bare: { ms: [], marks: {}, cpuMs: [] },
    join: { kibitz: [], bare: [] },
  }
  try {
    let n = 0
    const kibitzOn =
      (page: 'kibitz' | 'variant') =>
      async (keep: boolean, joining = false) => {
        const room = `first-frame-${process.pid}-${n++}`
        const url = (name: string) =>
          `${server.url}/${page}.html?${new URLSearchParams({ signal: broker.url, room, name, ...(TRACE ? { trace: '1' } : {}) })}`
        const pr = await pair(chromium, [url('a'), url('b')], page, joining ? READY.kibitz : null)
        const r = pr.pages
        if (TRACE) {
          const base = Math.min(...r.map((p) => p.origin))
          for (const p of r) log(`   trace ${traceLine(p, base)}`)
          log(`   wire a→b (sent at→ms): ${wireLine(r[0]!, r[1]!, base)}`)
          log(`   wire b→a (sent at→ms): ${wireLine(r[1]!, r[0]!, base)}`)
        }
        const into = page === 'kibitz' ? 'kibitz' : 'bare'
        if (joining) {
          if (keep) out.join[into].push(joinMs(r))
        } else if (keep) record(out[into], pr)
      }
    const kibitz = kibitzOn('kibitz')
    const bareSimplePeer = async (keep: boolean, joining = false) => {
      const room = `bare-${n++}`
      const url = (initiator: string) =>
        `${server.url}/bare.html?${new URLSearchParams({ relay: relay.url.replace('http:', 'ws:'), room, initiator })}`
      // Joining, the page in the call first is the initiator: its offer waits at the relay.
      const pr = await pair(chromium, [url('1'), url('0')], 'bare', joining ? READY.bare : null)
      if (joining) {
        if (keep) out.join.bare.push(joinMs(pr.pages))
        return
      }
      if (keep) record(out.bare, pr)
    }
    // A/B: the variant takes the bare page's place (its series are `bare`'s).
    const bare = variant ? kibitzOn('variant') : bareSimplePeer
    const ref = variant ? `kibitz@${variant.rev}` : 'bare'
    await kibitz(false)
    await bare(false)
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) await kibitz(true).then(() => bare(true))
      else await bare(true).then(() => kibitz(true))
      log(
        `   round ${i + 1}: kibitz ${round(out.kibitz.ms.at(-1)!)} ms, ${ref} ${round(out.bare.ms.at(-1)!)} ms`,
      )
    }
    for (let i = 0; i < joinRounds; i++) {
      if (i % 2 === 0) await kibitz(true, true).then(() => bare(true, true))
      else await bare(true, true).then(() => kibitz(true, true))
      log(
        `   join round ${i + 1}: kibitz ${round(out.join.kibitz.at(-1)!)} ms, ${ref} ${round(out.join.bare.at(-1)!)} ms`,
      )
    }
  } finally {
    await chromium.stop()
    await server.close()
    await relay.stop()
    await broker.stop()
  }
  return out
}

/**
 * The `KIBITZ_BENCH_CPU` summary: per round (mean), ms on a CPU by process kind and by thread,
 * and ms that runnable threads waited for a CPU.
 */
function logCpu(): void {
  for (const [tag, perLabel] of cpuByTag) {
    const rounds = new Set<number>()
    for (const xs of perLabel.values()) xs.forEach((_, i) => rounds.add(i))
    const mean = (xs: ({ run: number; wait: number } | undefined)[], key: 'run' | 'wait') =>
      xs.reduce((a, b) => a + (b?.[key] ?? 0), 0) / rounds.size
    const byKind = new Map<string, number>()
    const byLabel: [string, number][] = []
    let wait = 0
    for (const [label, xs] of perLabel) {
      const kind = label.slice(0, label.indexOf('/'))
      byKind.set(kind, (byKind.get(kind) ?? 0) + mean(xs, 'run'))
      byLabel.push([label, mean(xs, 'run')])
      wait += mean(xs, 'wait')
    }
    const total = [...byKind.values()].reduce((a, b) => a + b, 0)
    const list = (xs: [string, number][], n: number) =>
      xs
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => `${k} ${round(v)}`)
        .join(', ')
    log(
      `   cpu ${tag}: ${round(total)} ms on a CPU, ${round(wait)} ms waiting for one, per round (${rounds.size} rounds, incl. warm-up)`,
    )
    log(`     by process: ${list([...byKind], 12)}`)
    log(`     by thread: ${list(byLabel, 24)}`)
  }
}

const median = (xs: number[]) =>
  percentileSorted(
    [...xs].sort((a, b) => a - b),
    50,
  )

/**
 * A/B rounds run back to back, in alternating order: the median of the per-round ratios, and in
 * how many rounds the current code was the faster, say more on a noisy machine than the ratio of
 * two medians.
 */
function paired(ours: number[], theirs: number[]): string {
  const ratios = ours.map((x, i) => x / theirs[i]!)
  const faster = ratios.filter((r) => r < 1).length
  return `median of per-round ratios ${round(median(ratios), 3)}×, faster in ${faster} of ${ratios.length} rounds`
}

/**
 * Run {@link measureFirstFrame} and put its medians into `result` (`first_frame_ratio` = Kibitz ÷
 * bare, target ≤ 1.2). Returns the table to print, or null when Chromium is missing. With a
 * `variant` (`--first-frame-ab`), the reference is the Kibitz page at that revision, not bare.
 */
export async function firstFrameBench(
  rounds: number,
  joinRounds: number,
  result: FlatResult,
  variant: Variant | null = null,
): Promise<string | null> {
  log(
    `== first remote frame in Chromium: ${rounds} rounds per system (+ ${joinRounds} join rounds)` +
      (variant ? `, against Kibitz at ${variant.rev} (${variant.commit.slice(0, 10)})` : ''),
  )
  const ff = await measureFirstFrame(rounds, joinRounds, variant)
  if (!ff) return null
  if (CPU) logCpu()
  const refLabel = variant ? `kibitz @ ${variant.rev}` : 'bare simple-peer'
  const stages = ['script', 'camera', 'rostered', 'pc', 'ice', 'link'] as const
  const rows: (string | number)[][] = []
  for (const [name, label] of [
    ['kibitz', 'kibitz (createCall)'],
    ['bare', refLabel],
  ] as const) {
    const series = ff[name]
    result[`first_frame_${name}_ms_p50`] = round(median(series.ms))
    const cells: (string | number)[] = [label]
    for (const stage of stages) {
      const xs = series.marks[stage]
      if (xs?.length) result[`first_frame_${name}_${stage}_ms_p50`] = round(median(xs))
      cells.push(xs?.length ? round(median(xs)) : '–')
    }
    cells.push(
      round(median(series.ms)),
      round(Math.min(...series.ms)),
      round(Math.max(...series.ms)),
      round(median(series.cpuMs)),
    )
    rows.push(cells)
  }
  const ratio = result.first_frame_kibitz_ms_p50! / result.first_frame_bare_ms_p50!
  result.first_frame_ratio = round(ratio, 3)
  // The rounds are CPU-bound here (bench/README.md): what each system's round cost the machine.
  for (const name of ['kibitz', 'bare'] as const)
    result[`first_frame_${name}_cpu_ms_p50`] = round(median(ff[name].cpuMs))
  result.first_frame_cpu_ratio = round(
    result.first_frame_kibitz_cpu_ms_p50! / result.first_frame_bare_cpu_ms_p50!,
    3,
  )
  result.first_frame_target_met = ratio <= 1.2 ? 1 : 0
  result.first_frame_rounds = rounds
  const header = ['first remote frame (ms since navigation, p50)', 'script', 'camera']
  header.push('rostered', 'first pc', 'ice connected', 'link open', 'frame', 'min', 'max', 'CPU ms')
  let join = ''
  if (joinRounds > 0) {
    for (const name of ['kibitz', 'bare'] as const)
      result[`first_frame_join_${name}_ms_p50`] = round(median(ff.join[name]))
    result.first_frame_join_ratio = round(
      result.first_frame_join_kibitz_ms_p50! / result.first_frame_join_bare_ms_p50!,
      3,
    )
    result.first_frame_join_rounds = joinRounds
    join =
      `\n\n${renderTable(
        ['joining a call already running (ms, p50)', 'both see each other', 'min', 'max'],
        (['kibitz', 'bare'] as const).map((name) => [
          name === 'kibitz' ? 'kibitz (createCall)' : refLabel,
          round(median(ff.join[name])),
          round(Math.min(...ff.join[name])),
          round(Math.max(...ff.join[name])),
        ]),
      )}\n` +
      `first_frame_join_ratio (Kibitz ÷ ${refLabel}): ${result.first_frame_join_ratio}×` +
      (variant ? `; ${paired(ff.join.kibitz, ff.join.bare)}` : '')
  }
  const verdict = variant
    ? `; ${paired(ff.kibitz.ms, ff.bare.ms)}; CPU ${paired(ff.kibitz.cpuMs, ff.bare.cpuMs)}`
    : ' (target ≤ 1.2)'
  return (
    `${renderTable(header, rows)}\n` +
    `first_frame_ratio (Kibitz ÷ ${refLabel}): ${result.first_frame_ratio}×${verdict}` +
    join
  )
}
