/**
 * Protocol version and feature tags. The version is bumped only for a break; features are
 * additive capabilities advertised on the roster so newer and older builds can share a room.
 */
export const PROTOCOL_VERSION = 1

/** Engine SemVer advertised on the roster (kept in step with the published packages). */
export const ENGINE_VERSION = '0.1.0'

export const Feature = {
  chat: 'chat.v1',
  app: 'app.v1',
  ink: 'ink.v1',
  pay: 'pay.v1',
  caps: 'caps.v1',
  identity: 'identity.v1',
  schema: 'schema.v1',
  transfer: 'xfer.v1',
  agent: 'agent.v1',
  sealed: 'sealed.v1',
} as const

export type Feature = (typeof Feature)[keyof typeof Feature]

/** Everything this build speaks. */
export const FEATURES: readonly Feature[] = Object.values(Feature)
