-- The message store's one statement (src/chat/message-store.ts) and its helper. This file is their only
-- source: start-up applies it after the migrations whenever the installed copy differs (src/db/functions.ts),
-- so a change to them is an edit of this file. Changing a function's arguments or result columns needs a
-- DROP FUNCTION IF EXISTS of the old signature at the top of this file (CREATE OR REPLACE cannot change them).

-- The batch elements gained `attachmentId`, and the answer its attachment.
DROP FUNCTION IF EXISTS store_message_batch(jsonb, bigint);
DROP FUNCTION IF EXISTS message_batch_elements(jsonb);

-- The elements of a message batch, in order. Declared STRICT so that it is not inlined: the planner then
-- takes its ROWS estimate (a batch is small next to any table) and looks rows up by index, where
-- jsonb_to_recordset's own estimate of 100 rows would have it scan whole tables.
CREATE OR REPLACE FUNCTION message_batch_elements(batch jsonb)
RETURNS TABLE (
  ord integer,
  room_id bigint,
  sender_id bigint,
  content text,
  message_type message_type,
  media text,
  client_id text,
  reply_to bigint,
  attachment_id bigint
)
LANGUAGE sql IMMUTABLE STRICT ROWS 10 AS $$
  SELECT x.ord::integer, x.room_id::bigint, x.sender_id::bigint, x.content, x.message_type::message_type, x.media,
    x.client_id, x.reply_to::bigint, x.attachment_id::bigint
  FROM ROWS FROM (jsonb_to_recordset(batch) AS (
    "roomId" text, "senderId" text, content text, "messageType" text, media text, "clientMessageId" text, "replyToMessageId" text,
    "attachmentId" text
  )) WITH ORDINALITY AS x(room_id, sender_id, content, message_type, media, client_id, reply_to, attachment_id, ord)
$$;

-- Stores a batch of chat messages in one statement (one round trip, one transaction): see
-- src/chat/message-store.ts. `batch` is a JSON array of {roomId, senderId, content, messageType, media,
-- clientMessageId, replyToMessageId, attachmentId}; one row comes back per element, in order, with its
-- outcome: 'inserted', 'existing' (the sender's clientMessageId names a stored message), 'same-as' (an
-- earlier element of the batch with that clientMessageId was inserted), or the failure code ROOM_NOT_FOUND,
-- NOT_A_MEMBER, MESSAGE_NOT_FOUND (a reply to a message that is not in the room) or FORBIDDEN (an
-- attachment that is not the sender's, not ready, of another kind, or already sent: only once, by its
-- uploader). `attachment` is the answered message's attachment, as the wire object is made from it.
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
  recipients text[],
  attachment jsonb
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  room_ids bigint[] := ARRAY(SELECT DISTINCT e.room_id FROM message_batch_elements(batch) e);
  attachment_ids bigint[] := ARRAY(SELECT DISTINCT e.attachment_id FROM message_batch_elements(batch) e WHERE e.attachment_id IS NOT NULL);
  message_ids regclass := pg_get_serial_sequence('messages', 'id')::regclass;
BEGIN
  -- The rooms are locked in id order, so concurrent batches cannot deadlock; the lock serializes `seq`
  -- per room and orders the batch against membership changes, which lock the room too.
  PERFORM 1 FROM chat_rooms r WHERE r.id = ANY (room_ids) ORDER BY r.id FOR UPDATE;
  -- The attachments too: two nodes sending one attachment to two rooms find it unused only once.
  PERFORM 1 FROM attachments t WHERE t.id = ANY (attachment_ids) ORDER BY t.id FOR UPDATE;
  -- change_seq is drawn below: holding this lock until commit keeps change order = commit order.
  PERFORM pg_advisory_xact_lock(change_order_lock);
  -- This statement's snapshot is taken now, with the locks held: it sees every committed membership change.
  -- Lookups are scalar subqueries, so each is an index probe whatever the planner thinks of the batch's size.
  RETURN QUERY
  WITH judged AS (
    SELECT i.*, r.id IS NOT NULL AS room_found, r.last_seq,
      (SELECT 1 FROM members m WHERE m.room_id = i.room_id AND m.user_id = i.sender_id AND m.left_at IS NULL) IS NOT NULL AS is_member,
      CASE WHEN i.client_id IS NOT NULL THEN
        (SELECT e.id FROM messages e WHERE e.sender_id = i.sender_id AND e.client_message_id = i.client_id) END AS existing_id,
      i.reply_to IS NULL OR (SELECT p.room_id FROM messages p WHERE p.id = i.reply_to) IS NOT DISTINCT FROM i.room_id AS reply_ok,
      i.attachment_id IS NULL OR coalesce((SELECT t.owner_id = i.sender_id AND t.state = 'ready' AND t.message_id IS NULL
        AND t.deleted_at IS NULL AND t.kind::text = i.message_type::text FROM attachments t WHERE t.id = i.attachment_id), false) AS attachment_ok
    FROM message_batch_elements(batch) i
    LEFT JOIN chat_rooms r ON r.id = i.room_id
  ),
  -- Of the elements sharing a clientMessageId, the first that passes every check is inserted; a later one
  -- that reaches the duplicate check is answered with it. Of the elements naming one attachment, only the
  -- first that would be inserted is: the attachment goes into one message.
  planned AS (
    SELECT k.*, CASE
      WHEN NOT k.room_found THEN 'ROOM_NOT_FOUND'
      WHEN NOT k.is_member THEN 'NOT_A_MEMBER'
      WHEN k.existing_id IS NOT NULL THEN 'existing'
      WHEN k.first_ok < k.ord THEN 'same-as'
      WHEN NOT k.reply_ok THEN 'MESSAGE_NOT_FOUND'
      WHEN NOT k.attachment_ok OR k.first_use < k.ord THEN 'FORBIDDEN'
      ELSE 'inserted' END AS outcome
    FROM (
      SELECT f.*,
        CASE WHEN f.attachment_id IS NOT NULL THEN min(f.ord) FILTER (WHERE f.room_found AND f.is_member AND f.existing_id IS NULL
          AND f.reply_ok AND f.attachment_ok AND coalesce(f.first_ok, f.ord) = f.ord) OVER (PARTITION BY f.attachment_id) END AS first_use
      FROM (
        SELECT j.*,
          CASE WHEN j.client_id IS NOT NULL THEN min(j.ord) FILTER (WHERE j.room_found AND j.is_member AND j.existing_id IS NULL AND j.reply_ok AND j.attachment_ok)
            OVER (PARTITION BY j.sender_id, j.client_id) END AS first_ok
        FROM judged j
      ) f
    ) k
  ),
  -- seq continues each room's counter in arrival order; ids and change_seq are drawn in arrival order too.
  stamped AS (
    SELECT c.*,
      CASE WHEN c.outcome = 'inserted' THEN nextval(message_ids) END AS new_id,
      CASE WHEN c.outcome = 'inserted' THEN nextval('message_change_seq') END AS new_change
    FROM (
      SELECT p.*, p.last_seq + count(*) FILTER (WHERE p.outcome = 'inserted') OVER (PARTITION BY p.room_id ORDER BY p.ord) AS nth,
        count(*) FILTER (WHERE p.outcome = 'inserted') OVER (PARTITION BY p.room_id ORDER BY p.ord) AS nth_in_batch
      FROM planned p
      ORDER BY p.ord
    ) c
  ),
  inserted AS (
    INSERT INTO messages (id, room_id, seq, sender_id, content, message_type, media, client_message_id, reply_to_message_id, change_seq)
    SELECT s.new_id, s.room_id, s.nth, s.sender_id, s.content, s.message_type, s.media, s.client_id, s.reply_to, s.new_change
    FROM stamped s WHERE s.outcome = 'inserted'
  ),
  -- The attachment now belongs to the message, and to the members of its room.
  attached AS (
    UPDATE attachments t SET message_id = s.new_id, room_id = s.room_id
    FROM stamped s WHERE s.outcome = 'inserted' AND t.id = s.attachment_id
  ),
  -- The push outbox, in the message's transaction: one row per inserted message and member who may need
  -- a push (not the sender, not muted, with a push registration). Whether and when it is sent is decided
  -- by a push worker after commit (docs/push.md).
  queued AS (
    INSERT INTO push_outbox (user_id, room_id, message_id)
    SELECT m.user_id, s.room_id, s.new_id
    FROM stamped s
    JOIN members m ON m.room_id = s.room_id AND m.left_at IS NULL AND m.user_id <> s.sender_id
      AND (m.muted_until IS NULL OR m.muted_until <= now())
    WHERE s.outcome = 'inserted'
      AND EXISTS (SELECT 1 FROM push_registrations g WHERE g.user_id = m.user_id)
  ),
  heads AS (
    UPDATE chat_rooms r SET last_seq = h.nth, last_message_id = h.new_id, last_message_at = now()
    FROM (SELECT DISTINCT ON (s.room_id) s.room_id, s.nth, s.new_id FROM stamped s WHERE s.outcome = 'inserted' ORDER BY s.room_id, s.nth DESC) h
    WHERE r.id = h.room_id
  ),
  -- A duplicate within the batch is answered with the element inserted under its clientMessageId (the
  -- window is only read for those).
  answered AS (
    SELECT s.*,
      max(s.new_id) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_id,
      max(s.room_id) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_room,
      max(s.nth) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_seq,
      max(s.content) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_content,
      max(s.message_type) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_type,
      max(s.media) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_media,
      max(s.reply_to) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_reply,
      max(s.new_change) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_change,
      max(s.attachment_id) FILTER (WHERE s.outcome = 'inserted') OVER w AS key_attachment
    FROM stamped s
    WINDOW w AS (PARTITION BY s.sender_id, s.client_id)
  )
  SELECT a.ord, a.outcome,
    (CASE a.outcome WHEN 'inserted' THEN a.new_id WHEN 'same-as' THEN a.key_id ELSE e.id END)::text,
    (CASE a.outcome WHEN 'inserted' THEN a.room_id WHEN 'same-as' THEN a.key_room ELSE e.room_id END)::text,
    (CASE a.outcome WHEN 'inserted' THEN a.nth WHEN 'same-as' THEN a.key_seq ELSE e.seq END)::integer,
    (CASE WHEN a.outcome IN ('inserted', 'same-as') THEN a.sender_id ELSE e.sender_id END)::text,
    CASE a.outcome WHEN 'inserted' THEN a.content WHEN 'same-as' THEN a.key_content ELSE e.content END,
    (CASE a.outcome WHEN 'inserted' THEN a.message_type WHEN 'same-as' THEN a.key_type ELSE e.message_type END)::text,
    CASE a.outcome WHEN 'inserted' THEN a.media WHEN 'same-as' THEN a.key_media ELSE e.media END,
    CASE WHEN a.outcome IN ('inserted', 'same-as') THEN a.client_id ELSE e.client_message_id END,
    (CASE a.outcome WHEN 'inserted' THEN a.reply_to WHEN 'same-as' THEN a.key_reply ELSE e.reply_to_message_id END)::text,
    -- created_at defaults to now(): the start of this statement's transaction.
    CASE WHEN a.outcome IN ('inserted', 'same-as') THEN now() ELSE e.created_at END,
    e.edited_at,
    e.deleted_at,
    (CASE a.outcome WHEN 'inserted' THEN a.new_change WHEN 'same-as' THEN a.key_change ELSE e.change_seq END)::text,
    -- The header of the room the answered message is in: a retry sent to another room is answered with
    -- its original, room and all.
    h.title,
    h.listing_id::text,
    (SELECT l.title FROM listings l WHERE l.id = h.listing_id),
    -- The current members, once per room written to: they receive the broadcast (a duplicate is not
    -- broadcast again).
    CASE WHEN a.outcome = 'inserted' AND a.nth_in_batch = 1 THEN
      ARRAY(SELECT m.user_id::text FROM members m WHERE m.room_id = a.room_id AND m.left_at IS NULL ORDER BY m.user_id) END,
    CASE WHEN t.id IS NOT NULL THEN jsonb_build_object('id', t.id::text, 'mimeType', t.mime_type, 'size', t.size, 'width', t.width,
      'height', t.height, 'fileName', t.file_name, 'thumbnails', t.thumbnails) END
  FROM answered a
  LEFT JOIN messages e ON e.id = a.existing_id
  -- The answered message's attachment: the element's own when inserted (this statement's update is not
  -- visible to it), its original's otherwise.
  LEFT JOIN attachments t ON t.deleted_at IS NULL AND t.id = coalesce(
    CASE a.outcome WHEN 'inserted' THEN a.attachment_id WHEN 'same-as' THEN a.key_attachment END,
    (SELECT y.id FROM attachments y WHERE y.message_id = e.id))
  LEFT JOIN chat_rooms h ON h.id = CASE a.outcome WHEN 'inserted' THEN a.room_id WHEN 'same-as' THEN a.key_room ELSE e.room_id END
  ORDER BY a.ord;
END
$$;
