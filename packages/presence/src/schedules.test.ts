import { describeSeeds } from './testing/seeds.js'

describeSeeds(0)
