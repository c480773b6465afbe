import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import type { PGlite } from '@electric-sql/pglite'
import { pgliteTransaction } from '../../src/db/pglite.js'
import { postgresTransaction } from '../../src/db/postgres.js'
import { functionSources, installFunctions, installedHash, type InTransaction } from '../../src/db/functions.js'
import { onPostgres, useDatabase } from '../helpers.js'

const db = useDatabase()

/** Transactions on the suite's database through the same adapter start-up uses; closed when the test ends. */
function transactions (t: { after: (fn: () => Promise<void>) => void }, connections = 1): InTransaction[] {
  if (!onPostgres) return [pgliteTransaction((db.database.db as unknown as { $client: PGlite }).$client)]
  return Array.from({ length: connections }, () => {
    const client = postgres(db.url!, { max: 1, onnotice: () => {} })
    t.after(() => client.end())
    return postgresTransaction(client)
  })
}

/** A function file of its own in a scratch folder, so the test can change it. */
function probeFolder (t: { after: (fn: () => void) => void }) {
  const folder = mkdtempSync(join(tmpdir(), 'functions-'))
  t.after(() => rmSync(folder, { recursive: true, force: true }))
  const write = (answer: number) => writeFileSync(join(folder, 'functions_test_probe.sql'),
    `CREATE OR REPLACE FUNCTION functions_test_probe() RETURNS integer LANGUAGE sql AS $$ SELECT ${answer} $$;\n`)
  return { folder, write }
}

const probe = async (inTransaction: InTransaction) =>
  inTransaction(async (connection) => (await connection.query('SELECT functions_test_probe() AS answer', []))[0]!.answer)

test('start-up installs store_message_batch from src/db/functions/ and records the file\'s hash on it', async (t) => {
  const [inTransaction] = transactions(t)
  const source = functionSources().find((entry) => entry.name === 'store_message_batch')
  assert.ok(source, 'src/db/functions/store_message_batch.sql is read')
  await inTransaction!(async (connection) => {
    assert.equal(await installedHash(connection, 'store_message_batch'), source.hash)
  })
  assert.deepEqual(await installFunctions(inTransaction!), [], 'nothing to do when the installed copy is the file')
})

test('a function file is applied when it changes, and only then', async (t) => {
  const [inTransaction] = transactions(t)
  const { folder, write } = probeFolder(t)
  write(1)
  assert.deepEqual(await installFunctions(inTransaction!, functionSources(folder)), ['functions_test_probe'])
  assert.equal(await probe(inTransaction!), 1)
  assert.deepEqual(await installFunctions(inTransaction!, functionSources(folder)), [], 'unchanged: not applied again')
  write(2)
  assert.deepEqual(await installFunctions(inTransaction!, functionSources(folder)), ['functions_test_probe'])
  assert.equal(await probe(inTransaction!), 2, 'the edited definition is the one installed')
  // A definition replaced behind the installer's back carries no hash of the file: it is put back.
  await inTransaction!(async (connection) => {
    await connection.exec('CREATE OR REPLACE FUNCTION functions_test_probe() RETURNS integer LANGUAGE sql AS $$ SELECT 3 $$; COMMENT ON FUNCTION functions_test_probe() IS NULL')
  })
  assert.deepEqual(await installFunctions(inTransaction!, functionSources(folder)), ['functions_test_probe'])
  assert.equal(await probe(inTransaction!), 2)
})

test('a file that leaves two functions of its name (a changed signature without DROP) stops start-up', async (t) => {
  const [inTransaction] = transactions(t)
  const { folder } = probeFolder(t)
  writeFileSync(join(folder, 'functions_test_pair.sql'),
    'CREATE OR REPLACE FUNCTION functions_test_pair() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n' +
    'CREATE OR REPLACE FUNCTION functions_test_pair(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x $$;\n')
  await assert.rejects(installFunctions(inTransaction!, functionSources(folder)), /leaves 2 functions named functions_test_pair/)
  await inTransaction!(async (connection) => {
    assert.equal((await connection.query("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'functions_test_pair'", []))[0]!.n, 0, 'rolled back whole')
  })
})

test('nodes starting together apply a changed file once, one after the other', { skip: !onPostgres && 'needs PostgreSQL: PGlite has one connection, nothing runs together' }, async (t) => {
  const nodes = transactions(t, 4)
  const { folder, write } = probeFolder(t)
  write(10)
  const applied = await Promise.all(nodes.map((inTransaction) => installFunctions(inTransaction, functionSources(folder))))
  assert.deepEqual(applied.flat(), ['functions_test_probe'], 'one node applied it; the others found it installed')
  assert.equal(await probe(nodes[0]!), 10)
})
