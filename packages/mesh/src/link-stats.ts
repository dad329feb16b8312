import type { MediaLane } from '@kibitz/protocol'
import type { LaneStats, LinkStats, MediaStats } from './peer-link.js'

/**
 * Reads a standard `RTCStatsReport` (browsers, roam, and node-datachannel through `nodeWrtc()`,
 * which normalises its RTT to seconds) into the few facts the mesh reports (M32).
 */

export type Stat = Record<string, unknown> & { id?: unknown; type?: unknown }

/** Which lane an `inbound-rtp` entry belongs to (by its `mid` or `trackIdentifier`), or null. */
export type LaneOfStat = (stat: Stat) => MediaLane | null

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

/**
 * The selected candidate pair, its two candidates, RTT, inbound loss and inbound media; null
 * without a pair. `laneOf` attributes inbound RTP to lanes (links know their mids).
 */
export function readLinkStats(report: unknown, laneOf?: LaneOfStat): LinkStats | null {
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

  const media = readMedia(all, laneOf)
  const lost = media?.packetsLost ?? 0
  const received = media?.packetsReceived ?? 0
  const loss = media && lost + received > 0 ? lost / (lost + received) : null

  return {
    path: localCandidateType === 'relay' || remoteCandidateType === 'relay' ? 'relay' : 'direct',
    localCandidateType,
    remoteCandidateType,
    rttMs: rttSeconds === null ? null : rttSeconds * 1000,
    loss,
    media,
  }
}

const count = (v: unknown): number => Math.max(0, num(v) ?? 0)

/** Sums every `inbound-rtp` entry, and per lane where `laneOf` can tell; null without any. */
function readMedia(all: Stat[], laneOf?: LaneOfStat): MediaStats | null {
  let media: MediaStats | null = null
  for (const s of all) {
    if (s.type !== 'inbound-rtp') continue
    media ??= { packetsReceived: 0, bytesReceived: 0, packetsLost: 0, lanes: {} }
    const packetsReceived = count(s.packetsReceived)
    const bytesReceived = count(s.bytesReceived)
    const packetsLost = count(s.packetsLost)
    media.packetsReceived += packetsReceived
    media.bytesReceived += bytesReceived
    media.packetsLost += packetsLost
    const lane = laneOf?.(s) ?? null
    if (!lane) continue
    const prev: LaneStats = media.lanes[lane] ?? {
      packetsReceived: 0,
      bytesReceived: 0,
      packetsLost: 0,
      frameWidth: null,
      frameHeight: null,
    }
    media.lanes[lane] = {
      packetsReceived: prev.packetsReceived + packetsReceived,
      bytesReceived: prev.bytesReceived + bytesReceived,
      packetsLost: prev.packetsLost + packetsLost,
      frameWidth: num(s.frameWidth) ?? prev.frameWidth,
      frameHeight: num(s.frameHeight) ?? prev.frameHeight,
    }
  }
  return media
}
