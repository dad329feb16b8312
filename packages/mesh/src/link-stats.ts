import type { LinkStats } from './peer-link.js'

/**
 * Reads a standard `RTCStatsReport` (browsers, roam, and node-datachannel through `nodeWrtc()`,
 * which normalises its RTT to seconds) into the few facts the mesh reports (M32).
 */

type Stat = Record<string, unknown> & { id?: unknown; type?: unknown }

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)

function entries(report: unknown): Stat[] {
  const out: Stat[] = []
  const r = report as { forEach?: (cb: (v: unknown) => void) => void } | null
  if (r && typeof r.forEach === 'function') {
    r.forEach((v) => {
      if (v && typeof v === 'object') out.push(v as Stat)
    })
  } else if (Array.isArray(report)) {
    for (const v of report) if (v && typeof v === 'object') out.push(v as Stat)
  }
  return out
}

/** The selected candidate pair, its two candidates, RTT and inbound loss; null without a pair. */
export function readLinkStats(report: unknown): LinkStats | null {
  const all = entries(report)
  const byId = new Map<string, Stat>()
  for (const s of all) if (typeof s.id === 'string') byId.set(s.id, s)
  const pairs = all.filter((s) => s.type === 'candidate-pair')
  let pair: Stat | undefined
  for (const t of all) {
    if (t.type !== 'transport') continue
    const id = str(t.selectedCandidatePairId)
    if (id && byId.get(id)?.type === 'candidate-pair') pair = byId.get(id)
  }
  pair ??=
    pairs.find((p) => p.selected === true) ??
    pairs.find((p) => p.nominated === true && p.state === 'succeeded')
  if (!pair) return null
  const local = byId.get(str(pair.localCandidateId) ?? '')
  const remote = byId.get(str(pair.remoteCandidateId) ?? '')
  const localCandidateType = str(local?.candidateType)
  const remoteCandidateType = str(remote?.candidateType)
  if (!localCandidateType && !remoteCandidateType) return null

  const current = num(pair.currentRoundTripTime)
  const total = num(pair.totalRoundTripTime)
  const responses = num(pair.responsesReceived)
  const rttSeconds =
    current !== null && current >= 0
      ? current
      : total !== null && responses !== null && responses > 0
        ? total / responses
        : null

  let lost = 0
  let received = 0
  let media = false
  for (const s of all) {
    if (s.type !== 'inbound-rtp') continue
    media = true
    lost += Math.max(0, num(s.packetsLost) ?? 0)
    received += Math.max(0, num(s.packetsReceived) ?? 0)
  }
  const loss = media && lost + received > 0 ? lost / (lost + received) : null

  return {
    path: localCandidateType === 'relay' || remoteCandidateType === 'relay' ? 'relay' : 'direct',
    localCandidateType,
    remoteCandidateType,
    rttMs: rttSeconds === null ? null : rttSeconds * 1000,
    loss,
  }
}
