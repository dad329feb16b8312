import { MAX_SCHEMAS_PER_PEER } from '@kibitz/protocol'
import { describe, expect, it } from 'vitest'
import { MAX_OWN_SCHEMAS, MAX_SCHEMAS_TOTAL, SchemaRegistry } from './schemas.js'

const schema = (name: string, version = '1') => ({
  k: 'schema' as const,
  name,
  version,
  schema: { n: name },
})

describe('SchemaRegistry (K10)', () => {
  it('replaces by name, reports only real changes, and forgets peers that left', () => {
    const reg = new SchemaRegistry()
    expect(reg.register(schema('board'))).toBe(true)
    expect(reg.register(schema('board', '2'))).toBe(true)
    expect(reg.own()).toEqual([schema('board', '2')])
    expect(reg.receive('bob', schema('hand'))).toBe(true)
    expect(reg.receive('bob', schema('hand'))).toBe(false)
    expect(reg.receive('bob', schema('hand', '2'))).toBe(true)
    expect(reg.list('me').map((e) => `${e.from}:${e.name}@${e.version}:${e.isSelf}`)).toEqual([
      'me:board@2:true',
      'bob:hand@2:false',
    ])
    reg.retain(new Set())
    expect(reg.list('me')).toHaveLength(1)
  })

  it('caps ours, each peer and the total', () => {
    const reg = new SchemaRegistry()
    for (let i = 0; i < MAX_OWN_SCHEMAS; i++) expect(reg.register(schema(`s${i}`))).toBe(true)
    expect(reg.register(schema('one-more'))).toBe(false)
    expect(reg.register(schema('s0', '9'))).toBe(true) // replacing is fine
    for (let i = 0; i < MAX_SCHEMAS_PER_PEER; i++) reg.receive('bob', schema(`b${i}`))
    expect(reg.receive('bob', schema('overflow'))).toBe(false)
    let peer = 0
    while (reg.list('me').length - MAX_OWN_SCHEMAS < MAX_SCHEMAS_TOTAL) {
      for (let i = 0; i < MAX_SCHEMAS_PER_PEER; i++) reg.receive(`p${peer}`, schema(`x${i}`))
      peer++
    }
    expect(reg.receive('late', schema('x'))).toBe(false)
  })
})
