import { expect, test } from 'vitest'
import { BrokerMetrics } from './metrics.js'

test('B19: Prometheus text with HELP/TYPE lines, kibitz_broker_* names, refusals labelled by code', () => {
  const m = new BrokerMetrics({ sockets: () => 3, tags: () => 2 })
  m.framesRelayed = 10
  m.bytesRelayed = 1234
  m.claimsGranted = 1
  m.refused('RATE_LIMITED')
  m.refused('RATE_LIMITED')
  m.refused('BAD_MESSAGE')
  const text = m.render()
  expect(text.endsWith('\n')).toBe(true)
  expect(text).toContain('# TYPE kibitz_broker_sockets gauge\nkibitz_broker_sockets 3\n')
  expect(text).toContain('kibitz_broker_tags 2\n')
  expect(text).toContain(
    '# TYPE kibitz_broker_frames_relayed_total counter\nkibitz_broker_frames_relayed_total 10\n',
  )
  expect(text).toContain('kibitz_broker_bytes_relayed_total 1234\n')
  expect(text).toContain('kibitz_broker_claims_granted_total 1\n')
  expect(text).toContain(
    'kibitz_broker_frames_refused_total{code="BAD_MESSAGE"} 1\nkibitz_broker_frames_refused_total{code="RATE_LIMITED"} 2\n',
  )
  for (const line of text.trimEnd().split('\n')) {
    expect(line).toMatch(
      /^(# (HELP|TYPE) kibitz_broker_\w+ .+|kibitz_broker_\w+(\{code="[A-Z_]+"\})? \d+)$/,
    )
  }
})
