// Pages whose only script is their copy buttons.
import { wireCopyButtons } from './site.js'

wireCopyButtons()
