import { recordPresence, memoryEngine, useDatabase } from '../helpers.js'
import { twoNodeScenarios } from './two-nodes.js'

const shared = useDatabase()
recordPresence()

twoNodeScenarios(memoryEngine(), shared)
