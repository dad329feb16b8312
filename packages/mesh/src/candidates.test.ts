import { describe, expect, it } from 'vitest'
import {
  candidateAddress,
  candidateType,
  filterSdpCandidates,
  loopbackOnly,
  relayOnlyCandidates,
} from './candidates.js'

const candidate = (address: string, type = 'host') =>
  `a=candidate:1 1 UDP 2122317823 ${address} 5000 typ ${type}`

describe('candidate lines (M12, M30)', () => {
  it('reads the address and type with or without the a= and candidate: prefixes', () => {
    for (const line of [candidate('127.0.0.1'), candidate('127.0.0.1').slice(2)]) {
      expect(candidateAddress(line)).toBe('127.0.0.1')
      expect(candidateType(line)).toBe('host')
    }
    expect(candidateAddress(candidate('127.0.0.1').slice('a=candidate:'.length))).toBe('127.0.0.1')
    expect(candidateAddress('a=candidate:garbage')).toBeNull()
    expect(candidateType('no type here')).toBeNull()
    expect(relayOnlyCandidates(candidate('198.51.100.7', 'relay'))).toBe(true)
    expect(relayOnlyCandidates(candidate('198.51.100.7', 'srflx'))).toBe(false)
  })

  it('filterSdpCandidates drops only the candidate lines the filter rejects, keeping the line ending', () => {
    for (const eol of ['\r\n', '\n']) {
      const sdp = [
        'v=0',
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        candidate('127.0.0.1'),
        'a=mid:0',
        candidate('192.168.1.9'),
        'a=end-of-candidates',
        '',
      ]
      expect(filterSdpCandidates(sdp.join(eol), loopbackOnly)).toBe(
        sdp.filter((l) => !l.includes('192.168.1.9')).join(eol),
      )
    }
  })
})
