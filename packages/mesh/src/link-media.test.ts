import { describe, expect, it } from 'vitest'
import { remoteDirections } from './link-media.js'
import { readLinkStats } from './link-stats.js'

const section = (kind: string, mid: string, lines: string[], port = 9) =>
  [`m=${kind} ${port} UDP/TLS/RTP/SAVPF 111`, `a=mid:${mid}`, ...lines].join('\r\n')

describe('remoteDirections (M33, M36)', () => {
  it('a section sends when it allows sending and announces an SSRC', () => {
    const sdp = [
      'v=0',
      'a=group:BUNDLE 0 1 2 3 4',
      section('audio', '0', ['a=sendrecv', 'a=msid:- t0', 'a=ssrc:1 cname:x']),
      section('video', '1', ['a=sendonly', 'a=ssrc:2 cname:x']),
      // node-datachannel answers sendrecv and echoes msid, but has no SSRC and never sends.
      section('video', '2', ['a=sendrecv', 'a=msid:- t2']),
      section('audio', '3', ['a=recvonly', 'a=ssrc:4 cname:x']),
      section('audio', '5', ['a=sendrecv', 'a=ssrc:5 cname:x'], 0), // rejected
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:4\r\na=sendrecv',
    ].join('\r\n')
    expect([...remoteDirections(sdp)]).toEqual([
      ['0', true],
      ['1', true],
      ['2', false],
      ['3', false],
      ['5', false],
    ])
    expect(remoteDirections('garbage').size).toBe(0)
  })
})

describe('readLinkStats media counters (M37)', () => {
  const base = [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
    { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
    { id: 'L', type: 'local-candidate', candidateType: 'host' },
    { id: 'R', type: 'remote-candidate', candidateType: 'host' },
  ]

  it('sums inbound RTP and attributes it to lanes; loss from packets lost', () => {
    const report = new Map(
      [
        ...base,
        {
          id: 'A',
          type: 'inbound-rtp',
          mid: '0',
          packetsReceived: 90,
          bytesReceived: 900,
          packetsLost: 10,
        },
        {
          id: 'V',
          type: 'inbound-rtp',
          mid: '1',
          packetsReceived: 10,
          bytesReceived: 5_000,
          packetsLost: 0,
          frameWidth: 320,
          frameHeight: 240,
        },
        {
          id: 'X',
          type: 'inbound-rtp',
          trackIdentifier: 'unknown',
          packetsReceived: 0,
          bytesReceived: 0,
        },
      ].map((s) => [s.id, s]),
    )
    const laneOf = (s: Record<string, unknown>) =>
      s.mid === '0' ? ('audio' as const) : s.mid === '1' ? ('video' as const) : null
    const stats = readLinkStats(report, laneOf)!
    expect(stats.loss).toBeCloseTo(10 / 110)
    expect(stats.media).toEqual({
      packetsReceived: 100,
      bytesReceived: 5_900,
      packetsLost: 10,
      lanes: {
        audio: {
          packetsReceived: 90,
          bytesReceived: 900,
          packetsLost: 10,
          frameWidth: null,
          frameHeight: null,
        },
        video: {
          packetsReceived: 10,
          bytesReceived: 5_000,
          packetsLost: 0,
          frameWidth: 320,
          frameHeight: 240,
        },
      },
    })
    // Without a lane mapping the totals stay; without inbound RTP there is no media at all.
    expect(readLinkStats(report)!.media!.lanes).toEqual({})
    expect(readLinkStats(new Map(base.map((s) => [s.id, s])))!.media).toBeNull()
  })
})
