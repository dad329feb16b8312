// The only barrel of @kibitz/widget: named exports only (STYLE.md), `export type` for types.

export { mount, HOST_TAG } from './mount.js'
export type { MountOptions, MountedWidget } from './types.js'
export { VERSION } from './version.js'
export { STYLES } from './styles.js'
