-- Stores a batch of chat messages in one statement (one round trip, one transaction): see
-- src/chat/message-store.ts. `batch` is a JSON array of {roomId, senderId, content, messageType, media,
-- clientMessageId, replyToMessageId}; one row comes back per element, in order, with its outcome:
-- 'inserted', 'existing' (the sender's clientMessageId names a stored message), 'same-as' (an earlier
-- element of the batch with that clientMessageId was inserted), or the failure code ROOM_NOT_FOUND,
-- NOT_A_MEMBER or MESSAGE_NOT_FOUND (a reply to a message that is not in the room).
CREATE OR REPLACE FUNCTION store_message_batch(batch jsonb, change_order_lock bigint)
RETURNS TABLE (
  ord integer,
  outcome text,
  id text,
  room_id text,
  seq integer,
  sender_id text,
  content text,
  message_type text,
  media text,
  client_message_id text,
  reply_to_message_id text,
  created_at timestamptz,
  edited_at timestamptz,
  deleted_at timestamptz,
  change_seq text,
  room_title text,
  listing_id text,
  listing_title text,
  recipients text[]
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  -- The rooms are locked in id order, so concurrent batches cannot deadlock; the lock serializes `seq`
  -- per room and orders the batch against membership changes, which lock the room too.
  PERFORM 1 FROM chat_rooms r
    WHERE r.id IN (SELECT (e->>'roomId')::bigint FROM jsonb_array_elements(batch) e)
    ORDER BY r.id
    FOR UPDATE;
  -- change_seq is drawn on insert: holding this lock until commit keeps change order = commit order.
  PERFORM pg_advisory_xact_lock(change_order_lock);
  -- This statement's snapshot is taken now, with the locks held: it sees every committed membership change.
  RETURN QUERY
  WITH input AS (
    SELECT x.ord::integer AS ord, x.room_id::bigint AS room_id, x.sender_id::bigint AS sender_id, x.content,
      x.message_type::message_type AS message_type, x.media, x.client_id, x.reply_to::bigint AS reply_to
    FROM ROWS FROM (jsonb_to_recordset(batch) AS (
      "roomId" text, "senderId" text, content text, "messageType" text, media text, "clientMessageId" text, "replyToMessageId" text
    )) WITH ORDINALITY AS x(room_id, sender_id, content, message_type, media, client_id, reply_to, ord)
  ),
  judged AS (
    SELECT i.*, r.id IS NOT NULL AS room_found, r.last_seq,
      EXISTS (SELECT 1 FROM members m WHERE m.room_id = i.room_id AND m.user_id = i.sender_id AND m.left_at IS NULL) AS is_member,
      e.id AS existing_id,
      (i.reply_to IS NULL OR EXISTS (SELECT 1 FROM messages p WHERE p.id = i.reply_to AND p.room_id = i.room_id)) AS reply_ok
    FROM input i
    LEFT JOIN chat_rooms r ON r.id = i.room_id
    LEFT JOIN messages e ON i.client_id IS NOT NULL AND e.sender_id = i.sender_id AND e.client_message_id = i.client_id
  ),
  -- Of the elements sharing a clientMessageId, the first that passes every check is inserted; a later one
  -- that reaches the duplicate check is answered with it.
  ranked AS (
    SELECT j.*,
      CASE WHEN j.client_id IS NOT NULL THEN min(j.ord) FILTER (WHERE j.room_found AND j.is_member AND j.existing_id IS NULL AND j.reply_ok)
        OVER (PARTITION BY j.sender_id, j.client_id) END AS first_ok
    FROM judged j
  ),
  planned AS (
    SELECT k.*, CASE
      WHEN NOT k.room_found THEN 'ROOM_NOT_FOUND'
      WHEN NOT k.is_member THEN 'NOT_A_MEMBER'
      WHEN k.existing_id IS NOT NULL THEN 'existing'
      WHEN k.first_ok < k.ord THEN 'same-as'
      WHEN NOT k.reply_ok THEN 'MESSAGE_NOT_FOUND'
      ELSE 'inserted' END AS outcome
    FROM ranked k
  ),
  -- seq continues each room's counter in arrival order.
  numbered AS (
    SELECT p.ord, p.room_id, p.last_seq + row_number() OVER (PARTITION BY p.room_id ORDER BY p.ord) AS seq
    FROM planned p WHERE p.outcome = 'inserted'
  ),
  inserted AS (
    INSERT INTO messages (room_id, seq, sender_id, content, message_type, media, client_message_id, reply_to_message_id)
    SELECT p.room_id, n.seq, p.sender_id, p.content, p.message_type, p.media, p.client_id, p.reply_to
    FROM numbered n JOIN planned p ON p.ord = n.ord
    ORDER BY n.ord
    RETURNING *
  ),
  heads AS (
    UPDATE chat_rooms r SET last_seq = h.seq, last_message_id = h.id, last_message_at = now()
    FROM (SELECT DISTINCT ON (i.room_id) i.room_id, i.seq, i.id FROM inserted i ORDER BY i.room_id, i.seq DESC) h
    WHERE r.id = h.room_id
  ),
  answered AS (
    SELECT p.ord, i.* FROM planned p
      JOIN numbered n ON n.ord = CASE p.outcome WHEN 'inserted' THEN p.ord WHEN 'same-as' THEN p.first_ok END
      JOIN inserted i ON i.room_id = n.room_id AND i.seq = n.seq
    UNION ALL
    SELECT p.ord, e.* FROM planned p JOIN messages e ON e.id = p.existing_id WHERE p.outcome = 'existing'
  ),
  -- The current members of each room written to, on the room's first inserted element (they receive the
  -- broadcast; a duplicate is not broadcast again).
  audience AS (
    SELECT m.room_id, array_agg(m.user_id::text ORDER BY m.user_id) AS recipients
    FROM members m
    WHERE m.left_at IS NULL AND m.room_id IN (SELECT n.room_id FROM numbered n)
    GROUP BY m.room_id
  ),
  firsts AS (
    SELECT DISTINCT ON (n.room_id) n.room_id, n.ord FROM numbered n ORDER BY n.room_id, n.ord
  )
  SELECT p.ord, p.outcome, a.id::text, a.room_id::text, a.seq, a.sender_id::text, a.content, a.message_type::text, a.media,
    a.client_message_id, a.reply_to_message_id::text, a.created_at, a.edited_at, a.deleted_at, a.change_seq::text,
    r.title, r.listing_id::text, l.title, au.recipients
  FROM planned p
  LEFT JOIN answered a ON a.ord = p.ord
  LEFT JOIN chat_rooms r ON r.id = p.room_id
  LEFT JOIN listings l ON l.id = r.listing_id
  LEFT JOIN firsts f ON f.ord = p.ord
  LEFT JOIN audience au ON au.room_id = f.room_id
  ORDER BY p.ord;
END
$$;
