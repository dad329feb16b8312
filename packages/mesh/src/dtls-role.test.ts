import { describe, expect, it } from 'vitest'
import { offerAsDtlsClient } from './dtls-role.js'

describe('offerAsDtlsClient (M42)', () => {
  it('turns every actpass section into active, with CRLF or LF, and touches nothing else', () => {
    const crlf = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=setup:actpass',
      'a=mid:0',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=setup:actpass',
      'a=candidate:1 1 UDP 1 127.0.0.1 5000 typ host',
      '',
    ].join('\r\n')
    const out = offerAsDtlsClient(crlf)
    expect(out.match(/a=setup:\w+/g)).toEqual(['a=setup:active', 'a=setup:active'])
    expect(out.replace(/a=setup:active/g, 'a=setup:actpass')).toBe(crlf)
    const lf = 'v=0\na=setup:actpass\na=mid:0\n'
    expect(offerAsDtlsClient(lf)).toBe('v=0\na=setup:active\na=mid:0\n')
  })

  it('leaves a stated role alone and never rewrites inside another line', () => {
    for (const sdp of ['a=setup:active\r\n', 'a=setup:passive\r\n', 'a=x-note:a=setup:actpass\r\n'])
      expect(offerAsDtlsClient(sdp)).toBe(sdp)
    expect(offerAsDtlsClient('a=setup:actpassive\r\n')).toBe('a=setup:actpassive\r\n')
  })
})
