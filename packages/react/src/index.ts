// The only barrel of @kibitz/react: named exports only (STYLE.md), `export type` for types.

export { useCall, isCall } from './use-call.js'
export type { UseCallOptions, UseCallResult } from './use-call.js'
export { callStatus } from './status.js'
export type { CallError, CallUiStatus, CallUiStatusKind, RefusedReason } from './status.js'
export type { CallActions } from './actions.js'
export { useCallEvent, useParticipant } from './hooks.js'
export { VideoTile, initialsOf } from './video-tile.js'
export type { VideoTileProps } from './video-tile.js'
