import { describe, expect, it } from 'vitest'
import { initialsOf } from '@kibitz/call'

describe('initialsOf (RX8)', () => {
  it('takes the first letters of the first and last word', () => {
    expect(initialsOf('Dana Scully')).toBe('DS')
    expect(initialsOf('  ann  marie   lee ')).toBe('AL')
    expect(initialsOf('Bob')).toBe('B')
  })

  it('is safe on empty, odd and astral input', () => {
    expect(initialsOf('')).toBe('?')
    expect(initialsOf('   ')).toBe('?')
    expect(initialsOf('😀 Smile')).toBe('😀S')
    expect(initialsOf(42 as unknown as string)).toBe('4')
  })
})
