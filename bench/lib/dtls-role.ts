/**
 * The DTLS-role phase of the `mesh` benchmark (mesh SPEC M42): warm pairs of native links
 * (`createNativePeerLink`, node-datachannel, 127.0.0.1), alternating between the offer as shipped
 * (`a=setup:active`: the offerer is the DTLS client) and the same offer put back to `actpass` in
 * transit (the stacks' default: the answerer is the client and its ClientHello can beat the
 * answer to the offerer). Reports open-time percentiles, ~1 s stalls and failures per role.
 */
import { spawn } from 'node:child_process'
import type { LinkSignal, PeerLink } from '@kibitz/mesh'
import { createNativePeerLink, loopbackOnly } from '@kibitz/mesh/node'
import type { FlatResult } from './results.js'
import { percentileSorted, round } from './stats.js'
import { renderTable } from './table.js'

const ROLES = ['active', 'actpass'] as const
type Role = (typeof ROLES)[number]
/** A pair open this late waited for a DTLS retransmit (libdatachannel's first is at 1 s). */
const STALL_MS = 900
const GIVE_UP_MS = 5_000

function link(initiator: boolean): PeerLink {
  return createNativePeerLink(
    { initiator, iceServers: [], iceTransportPolicy: 'all' },
    { bindAddress: '127.0.0.1', candidateFilter: loopbackOnly },
  )
}

/** Open one pair; resolves with ms to both open, or null when it closed or took > 5 s. */
function openPair(role: Role): Promise<number | null> {
  const a = link(true)
  const b = link(false)
  const relay = (from: PeerLink, to: PeerLink) =>
    from.on('signal', ({ signal }) => {
      const copy = JSON.parse(JSON.stringify(signal)) as LinkSignal
      if (role === 'actpass' && copy.kind === 'sdp' && copy.description.type === 'offer')
        copy.description.sdp = copy.description.sdp.replace(/^a=setup:active/gm, 'a=setup:actpass')
      setImmediate(() => to.signal(copy))
    })
  relay(a, b)
  relay(b, a)
  const t0 = performance.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (ms: number | null) => {
      if (done) return
      done = true
      clearInterval(poll)
      a.destroy()
      b.destroy()
      resolve(ms)
    }
    const poll = setInterval(() => {
      if (a.connected && b.connected) finish(performance.now() - t0)
      else if (performance.now() - t0 > GIVE_UP_MS) finish(null)
    }, 2)
    for (const l of [a, b]) l.on('close', () => finish(null))
  })
}

/** Run `pairs` pairs per role, alternating; fills `result` and returns the printed table. */
export async function dtlsRoleBench(pairs: number, result: FlatResult): Promise<string> {
  const times: Record<Role, number[]> = { active: [], actpass: [] }
  const failed: Record<Role, number> = { active: 0, actpass: 0 }
  for (let i = 0; i < pairs * ROLES.length; i++) {
    const role = ROLES[i % ROLES.length]!
    const ms = await openPair(role)
    if (ms === null) failed[role]++
    else times[role].push(ms)
    await new Promise((r) => setTimeout(r, 20))
  }
  const rows = ROLES.map((role) => {
    const sorted = [...times[role]].sort((x, y) => x - y)
    const p50 = round(percentileSorted(sorted, 50))
    const p90 = round(percentileSorted(sorted, 90))
    const stalls = sorted.filter((ms) => ms >= STALL_MS).length
    result[`dtls_${role}_open_ms_p50`] = p50
    result[`dtls_${role}_open_ms_p90`] = p90
    result[`dtls_${role}_stalls`] = stalls
    result[`dtls_${role}_failed`] = failed[role]
    return [`offer ${role}`, pairs, p50, p90, stalls, failed[role]]
  })
  result.dtls_pairs = pairs
  return renderTable(
    ['warm native link pairs', 'pairs', 'open p50 ms', 'open p90 ms', '≥ 900 ms', 'failed'],
    rows,
  )
}

/**
 * The cold-handshake phase (decisions.md, mesh M43): `pairs` native link pairs as shipped,
 * `parallel` at a time, optionally next to `busy` spinning processes (killed when the phase ends).
 * libdatachannel 0.33 starts ICE inside `setRemoteDescription(answer)` before it commits the
 * remote fingerprint, so under contention some handshakes fail (the mesh rebuilds those, M14);
 * this counts them, and the ~1 s DTLS stalls, so a node-datachannel upgrade shows what it fixed.
 */
export async function handshakeRaceBench(
  pairs: number,
  parallel: number,
  busy: number,
  result: FlatResult,
): Promise<string> {
  const spinners = Array.from({ length: busy }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  )
  const times: number[] = []
  let failed = 0
  let started = 0
  try {
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (started < pairs) {
          started++
          const ms = await openPair('active')
          if (ms === null) failed++
          else times.push(ms)
        }
      }),
    )
  } finally {
    for (const p of spinners) p.kill('SIGKILL')
  }
  const sorted = times.sort((x, y) => x - y)
  const p50 = round(percentileSorted(sorted, 50))
  const p90 = round(percentileSorted(sorted, 90))
  const stalls = sorted.filter((ms) => ms >= STALL_MS).length
  Object.assign(result, {
    race_pairs: pairs,
    race_parallel: parallel,
    race_busy: busy,
    race_open_ms_p50: p50,
    race_open_ms_p90: p90,
    race_stalls: stalls,
    race_failed: failed,
  })
  return renderTable(
    ['cold native link pairs', 'pairs', 'open p50 ms', 'open p90 ms', '≥ 900 ms', 'failed'],
    [[`${parallel} at a time, ${busy} busy`, pairs, p50, p90, stalls, failed]],
  )
}
