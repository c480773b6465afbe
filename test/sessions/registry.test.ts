import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SessionRegistry } from '../../src/sessions/registry.js'
import type { Connection } from '../../src/sessions/connection.js'

/** Just what the registry reads of a connection, and the frames sent to it. */
function fakeConnection (id: string, userId: string, uuid: string) {
  const sent: string[] = []
  const conn = { id, remoteAddress: '127.0.0.1', session: { userId, uuid }, expiryAt: undefined, send: (frame: string) => { sent.push(frame); return true } }
  return { conn: conn as unknown as Connection, sent }
}

test('one device, a second, a replacement and back to one: lookups, delivery and the last device', () => {
  const sessions = new SessionRegistry()
  const phone = fakeConnection('c1', '4', 'phone')
  const tablet = fakeConnection('c2', '4', 'tablet')
  const newPhone = fakeConnection('c3', '4', 'phone')
  for (const { conn } of [phone, tablet, newPhone]) sessions.add(conn)

  assert.equal(sessions.register(phone.conn, '4', 'phone'), undefined)
  assert.equal(sessions.register(phone.conn, '4', 'phone'), undefined, 'registering again replaces nothing')
  assert.equal(sessions.device('4', 'phone'), phone.conn)
  assert.equal(sessions.device('4', 'tablet'), undefined)
  assert.deepEqual([...sessions.devices('4')], [phone.conn])
  assert.equal(sessions.register(tablet.conn, '4', 'tablet'), undefined)
  assert.deepEqual([...sessions.devices('4')], [phone.conn, tablet.conn])
  assert.equal(sessions.sessionCount, 2)
  assert.equal(sessions.userCount, 1)

  assert.equal(sessions.deliver(['4', '14'], 'a', { connectionId: 'c2' }), 1)
  assert.equal(sessions.deliver(['4'], 'b'), 2)
  assert.deepEqual(phone.sent, ['a', 'b'])
  assert.deepEqual(tablet.sent, ['b'])

  assert.equal(sessions.register(newPhone.conn, '4', 'phone'), phone.conn, 'the same device takes over')
  assert.equal(sessions.remove(phone.conn), false, 'the replaced connection holds nothing')
  assert.equal(sessions.device('4', 'phone'), newPhone.conn)
  assert.equal(sessions.remove(tablet.conn), false)
  assert.deepEqual([...sessions.devices('4')], [newPhone.conn])
  assert.equal(sessions.device('4', 'phone'), newPhone.conn)
  assert.equal(sessions.deliver(['4'], 'c'), 1)
  assert.equal(sessions.remove(newPhone.conn), true, 'the last device went away')
  assert.equal(sessions.isOnline('4'), false)
  assert.equal(sessions.sessionCount, 0)
  assert.equal(sessions.connections.size, 0)
  assert.equal(sessions.connectionsFrom('127.0.0.1'), 0)
})

test('a single device that takes another uuid on the same socket leaves no trace of the old one', () => {
  const sessions = new SessionRegistry()
  const { conn } = fakeConnection('c1', '14', 'old')
  sessions.add(conn)
  sessions.register(conn, '14', 'old')
  assert.equal(sessions.remove(conn, { keepConnection: true }), true)
  conn.session = { ...conn.session!, uuid: 'new' }
  sessions.register(conn, '14', 'new')
  assert.equal(sessions.device('14', 'old'), undefined)
  assert.equal(sessions.device('14', 'new'), conn)
  assert.equal(sessions.connections.size, 1)
})
