import { expect, test } from 'vitest'
import { VacancyLedger } from './vacancy.js'

test('B17: one vacancy notice per claim epoch, whichever path reports it first', () => {
  const l = new VacancyLedger()
  const x1 = { holder: 'x', epoch: 'n1.1' }
  const x2 = { holder: 'x', epoch: 'n1.2' }
  l.note('t', x1)
  // Broadcast first, then the poll sees the slot empty: one notice.
  expect(l.firstVacancy('t', x1)).toBe(true)
  expect(l.observe('t', null)).toBeNull()
  expect(l.firstVacancy('t', x1)).toBe(false)
  // The same socket claims again (new epoch) and its node dies: the poll reports it once.
  expect(l.observe('t', x2)).toBeNull()
  expect(l.observe('t', null)).toEqual(x2)
  expect(l.firstVacancy('t', x2)).toBe(true)
  expect(l.firstVacancy('t', x2)).toBe(false)
  // Slot changed hands between polls: the old holder is reported gone.
  const y = { holder: 'y', epoch: 'n2.1' }
  const z = { holder: 'z', epoch: 'n3.1' }
  l.observe('t', y)
  expect(l.observe('t', z)).toEqual(y)
  l.forget('t')
  expect(l.observe('t', null)).toBeNull()
})
