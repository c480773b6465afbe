/** The project's own server, started as it is in production, plus the benchmark's probe. */
import './probe.js'
await import('../../src/server.js')
