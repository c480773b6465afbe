import { memoryEngine, useDatabase } from '../helpers.js'
import { twoNodeScenarios } from './two-nodes.js'

const shared = useDatabase()

twoNodeScenarios(memoryEngine(), shared)
