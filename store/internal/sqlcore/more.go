package sqlcore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// ChunkSize is the size of the rows a blob's content is split into.
const ChunkSize = 1 << 20

// ---- blobs ----

const blobCols = `id, kind, request_id, person_key_id, name, size, sha256, created_at, expires_at`

func scanBlob(r Rows) (store.Blob, error) {
	var b store.Blob
	var kind string
	err := r.Scan(&b.ID, &kind, &b.RequestID, &b.PersonKeyID, &b.Name, &b.Size, &b.SHA256, tc(&b.CreatedAt),
		tc(&b.ExpiresAt))
	b.Kind = store.BlobKind(kind)
	return b, err
}

// PutBlob implements store.Ops.
func (o *Ops) PutBlob(ctx context.Context, b store.Blob, r io.Reader) (store.Blob, error) {
	if b.Kind != store.BlobExportFile && b.Kind != store.BlobAccessPackage {
		return store.Blob{}, fmt.Errorf("%w: blob kind %q (want export_file or access_package)", store.ErrInvalid, b.Kind)
	}
	if b.ID == "" {
		b.ID = store.NewID("blob_")
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = o.now()
	}
	b.CreatedAt = b.CreatedAt.UTC().Truncate(time.Microsecond)
	b.ExpiresAt = b.ExpiresAt.UTC().Truncate(time.Microsecond)
	if b.ExpiresAt.Equal(time.Unix(0, 0).UTC()) {
		b.ExpiresAt = time.Time{}
	}
	// Outside a caller's transaction Atomic may run the function again after a
	// serialization failure or deadlock (PostgreSQL): the content must then be
	// read again from its start, never from where the failed attempt stopped,
	// which would store the blob cut short under a hash that matches.
	rewind := func() error { return errBlobNotRereadable }
	if sk, ok := r.(io.Seeker); ok {
		if pos, err := sk.Seek(0, io.SeekCurrent); err == nil {
			rewind = func() error { _, err := sk.Seek(pos, io.SeekStart); return err }
		}
	}
	first := true
	err := o.Atomic(ctx, func(t *Ops) error {
		if !first {
			if err := rewind(); err != nil {
				return fmt.Errorf("store: re-running the transaction of blob %s: %w", b.ID, err)
			}
		}
		first = false
		if _, err := t.exec(ctx, `INSERT INTO blobs (`+blobCols+`) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)`,
			b.ID, string(b.Kind), b.RequestID, b.PersonKeyID, b.Name, []byte{}, ts(b.CreatedAt), ts(b.ExpiresAt)); err != nil {
			return err
		}
		h := sha256.New()
		buf := make([]byte, ChunkSize)
		var size int64
		for n := int64(0); ; n++ {
			k, rerr := io.ReadFull(r, buf)
			if k > 0 {
				h.Write(buf[:k])
				size += int64(k)
				if _, err := t.exec(ctx, `INSERT INTO blob_chunks (blob_id, n, data) VALUES ($1, $2, $3)`,
					b.ID, n, buf[:k]); err != nil {
					return err
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return fmt.Errorf("store: reading blob content: %w", rerr)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b.Size, b.SHA256 = size, h.Sum(nil)
		_, err := t.exec(ctx, `UPDATE blobs SET size = $2, sha256 = $3 WHERE id = $1`, b.ID, b.Size, b.SHA256)
		return err
	})
	if err != nil {
		return store.Blob{}, err
	}
	return b, nil
}

// errBlobNotRereadable: PutBlob's transaction must run again, but its reader
// cannot seek back to the content's start.
var errBlobNotRereadable = errors.New("the transaction failed after the content was read, and the reader cannot " +
	"seek back to its start: put the blob again")

// GetBlob implements store.Ops.
func (o *Ops) GetBlob(ctx context.Context, id string) (store.Blob, error) {
	return queryOne(ctx, o, "blob", `SELECT `+blobCols+` FROM blobs WHERE id = $1`, []any{id}, scanBlob)
}

// OpenBlob implements store.Ops.
func (o *Ops) OpenBlob(ctx context.Context, id string) (io.ReadCloser, error) {
	b, err := o.GetBlob(ctx, id)
	if err != nil {
		return nil, err
	}
	return &blobReader{ctx: ctx, o: o, b: b, h: sha256.New()}, nil
}

// blobReader reads a blob one chunk (one query) at a time, so no transaction or
// cursor stays open between reads, and checks size and hash at the end.
type blobReader struct {
	ctx    context.Context
	o      *Ops
	b      store.Blob
	next   int64
	buf    []byte
	read   int64
	h      hash.Hash
	done   bool
	closed bool
	err    error
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("store: read from a closed blob reader")
	}
	if r.err != nil {
		return 0, r.err
	}
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		var data []byte
		err := r.o.queryRow(r.ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND n = $2`,
			[]any{r.b.ID, r.next}, &data)
		if errors.Is(err, errNoRows) {
			r.done = true
			if r.read != r.b.Size || !bytes.Equal(r.h.Sum(nil), r.b.SHA256) {
				r.err = fmt.Errorf("%w: blob %s does not match its recorded size and SHA-256 (deleted while read, or altered)",
					store.ErrCorrupt, r.b.ID)
				return 0, r.err
			}
			return 0, io.EOF
		}
		if err != nil {
			r.err = err
			return 0, err
		}
		r.next++
		r.read += int64(len(data))
		r.h.Write(data)
		r.buf = data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *blobReader) Close() error { r.closed = true; r.buf = nil; return nil }

// BlobsByRequest implements store.Ops.
func (o *Ops) BlobsByRequest(ctx context.Context, requestID string) ([]store.Blob, error) {
	return queryList(ctx, o, `SELECT `+blobCols+` FROM blobs WHERE request_id = $1 ORDER BY created_at, id`,
		[]any{requestID}, scanBlob)
}

// DeleteBlob implements store.Ops.
func (o *Ops) DeleteBlob(ctx context.Context, id string) (bool, error) {
	var n int64
	err := o.Atomic(ctx, func(t *Ops) error {
		var err error
		n, err = t.deleteBlobsWhere(ctx, `id = $1`, id)
		return err
	})
	return n > 0, err
}

func (o *Ops) deleteBlobsWhere(ctx context.Context, cond string, args ...any) (int64, error) {
	if _, err := o.exec(ctx, `DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE `+cond+`)`,
		args...); err != nil {
		return 0, err
	}
	return o.exec(ctx, `DELETE FROM blobs WHERE `+cond, args...)
}

// ---- purge ----

// PurgePerson implements store.Ops.
func (o *Ops) PurgePerson(ctx context.Context, pt store.PurgeTarget) (store.PurgeCounts, error) {
	var c store.PurgeCounts
	keys, contacts := nonEmpty(pt.PersonKeyIDs), nonEmpty(pt.ContactIDs)
	if len(keys) == 0 && len(contacts) == 0 {
		return c, fmt.Errorf("%w: purge target names no person key and no contact", store.ErrInvalid)
	}
	byKey, keyArgs := anyIn(inList{"person_key_id", keys})
	err := o.Atomic(ctx, func(t *Ops) error {
		c = store.PurgeCounts{}
		// Contacts' ids found by person key, so their conversations and events go too.
		all := slices.Clone(contacts)
		if len(keys) > 0 {
			if err := t.queryAll(ctx, `SELECT intercom_id FROM cached_contacts WHERE `+byKey, keyArgs, func(r Rows) error {
				var id string
				err := r.Scan(&id)
				all = append(all, id)
				return err
			}); err != nil {
				return err
			}
		}
		all = nonEmpty(all)

		q, args := anyIn(inList{"person_key_id", keys}, inList{"intercom_id", all})
		n, err := t.exec(ctx, `DELETE FROM cached_contacts WHERE `+q, args...)
		if err != nil {
			return err
		}
		c.Contacts = n
		byContact, contactArgs := anyIn(inList{"contact_id", all})
		convCond := `(` + byKey + ` OR id IN (SELECT conversation_id FROM conversation_contacts WHERE ` +
			shift(byContact, len(keyArgs)) + `))`
		c.Conversations, c.Parts, err = t.deleteConversationsWhere(ctx, convCond, slices.Concat(keyArgs, contactArgs)...)
		if err != nil {
			return err
		}
		q, args = anyIn(inList{"person_key_id", keys}, inList{"contact_id", all})
		if c.WebhookEvents, err = t.exec(ctx, `DELETE FROM webhook_events WHERE `+q, args...); err != nil {
			return err
		}
		if len(keys) > 0 {
			if c.Blobs, err = t.deleteBlobsWhere(ctx, byKey, keyArgs...); err != nil {
				return err
			}
		}
		return nil
	})
	return c, err
}

// inList is one "column IN (values)" term of anyIn.
type inList struct {
	col  string
	vals []string
}

// anyIn builds "(col1 IN ($1, ...) OR col2 IN (...))" over the terms with
// values, and its arguments; "1 = 0" (matching nothing) when no term has any.
func anyIn(terms ...inList) (string, []any) {
	var parts []string
	var args []any
	for _, t := range terms {
		if len(t.vals) == 0 {
			continue
		}
		parts = append(parts, t.col+` IN (`+placeholders(len(args)+1, len(t.vals))+`)`)
		for _, v := range t.vals {
			args = append(args, v)
		}
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// shift renumbers the $N placeholders of q by adding by.
func shift(q string, by int) string {
	if by == 0 {
		return q
	}
	var out []byte
	for i := 0; i < len(q); i++ {
		if q[i] == '$' {
			j := i + 1
			n := 0
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				n = n*10 + int(q[j]-'0')
				j++
			}
			if j > i+1 {
				out = fmt.Appendf(out, "$%d", n+by)
				i = j - 1
				continue
			}
		}
		out = append(out, q[i])
	}
	return string(out)
}

func nonEmpty(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ---- retention ----

// notHeld is the condition that keeps rows under an active legal hold; keyCol
// is the row's person key column, reqCol its request id column (or "").
func notHeld(keyCol, reqCol string) string {
	c := `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
		(h.subject_ref <> '' AND h.subject_ref = ` + keyCol + `)`
	if reqCol != "" {
		c += ` OR (h.request_id <> '' AND h.request_id = ` + reqCol + `)`
	}
	return c + `))`
}

// objectNotHeld is the condition that keeps the cached copy of an Intercom
// object a hold or an erasure exception keeps (object_holds) active at now
// (Unix microseconds, written into the statement as a number).
func objectNotHeld(kind, idCol string, now int64) string {
	return `NOT EXISTS (SELECT 1 FROM object_holds oh WHERE oh.object_type = '` + kind + `' AND oh.object_id = ` + idCol +
		` AND oh.released_at IS NULL AND (oh.keep_until IS NULL OR oh.keep_until > ` + strconv.FormatInt(now, 10) + `))`
}

// expiredQuery returns the table, key column and condition (with $1 = before)
// of a category's expired, unheld rows at now.
func expiredQuery(cat store.Category, now time.Time) (table, key, cond string, err error) {
	at := now.UnixMicro()
	switch cat {
	case store.CategoryContactCache:
		return "cached_contacts", "intercom_id", `created_at < $1 AND ` + notHeld("cached_contacts.person_key_id", "") +
			` AND ` + objectNotHeld(store.ObjectContact, "cached_contacts.intercom_id", at), nil
	case store.CategoryConversationCache:
		return "cached_conversations", "id", `created_at < $1 AND ` + notHeld("cached_conversations.person_key_id", "") +
			` AND ` + objectNotHeld(store.ObjectConversation, "cached_conversations.id", at), nil
	case store.CategoryWebhookEvents:
		return "webhook_events", "notification_id", `received_at < $1 AND ` + notHeld("webhook_events.person_key_id", ""), nil
	case store.CategoryExportFiles, store.CategoryAccessPackages:
		kind := store.BlobExportFile
		if cat == store.CategoryAccessPackages {
			kind = store.BlobAccessPackage
		}
		return "blobs", "id", `kind = '` + string(kind) + `' AND created_at < $1 AND ` +
			notHeld("blobs.person_key_id", "blobs.request_id"), nil
	}
	var names []string
	for _, c := range store.Categories() {
		names = append(names, string(c))
	}
	return "", "", "", fmt.Errorf("%w: unknown retention category %q (valid: %v)", store.ErrInvalid, cat, names)
}

// CountExpired implements store.Ops.
func (o *Ops) CountExpired(ctx context.Context, cat store.Category, before time.Time) (int64, error) {
	table, _, cond, err := expiredQuery(cat, o.now())
	if err != nil {
		return 0, err
	}
	var n int64
	err = o.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+cond, []any{before.UnixMicro()}, &n)
	return n, err
}

// DeleteExpired deletes at most limit expired, unheld rows of a category; the
// caller runs it in a short transaction of its own.
func (o *Ops) DeleteExpired(ctx context.Context, cat store.Category, before time.Time, limit int) (int64, error) {
	table, key, cond, err := expiredQuery(cat, o.now())
	if err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, fmt.Errorf("%w: retention batch limit must be positive", store.ErrInvalid)
	}
	var n int64
	err = o.Atomic(ctx, func(t *Ops) error {
		sel := `SELECT ` + key + ` FROM ` + table + ` WHERE ` + cond + ` ORDER BY ` + key + ` LIMIT $2`
		args := []any{before.UnixMicro(), int64(limit)}
		var err error
		switch table {
		case "cached_conversations":
			n, _, err = t.deleteConversationsWhere(ctx, `id IN (`+sel+`)`, args...)
		case "blobs":
			n, err = t.deleteBlobsWhere(ctx, `id IN (`+sel+`)`, args...)
		default:
			n, err = t.exec(ctx, `DELETE FROM `+table+` WHERE `+key+` IN (`+sel+`)`, args...)
		}
		return err
	})
	return n, err
}

// ---- audit.Tx ----

// TxOps are the Ops of one transaction plus the audit chain operations, which
// only make sense inside a transaction (Head's lock lasts until it ends).
type TxOps struct{ *Ops }

// Head implements audit.Tx: it reads the one-row audit_head table, locking the
// row on PostgreSQL (SQLite write transactions are exclusive already).
func (o *TxOps) Head(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := o.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+o.D.ForUpdate, nil, &seq, &hash)
	if errors.Is(err, errNoRows) {
		return 0, nil, fmt.Errorf("%w: the audit_head row is missing; run intercom-privacy migrate", store.ErrCorrupt)
	}
	if err != nil {
		return 0, nil, err
	}
	if seq == 0 {
		hash = nil
	}
	return seq, hash, nil
}

// InsertRecord implements audit.Tx. The record must extend the head (Seq =
// head + 1), which keeps the chain gap-free; the head moves with it.
func (o *TxOps) InsertRecord(ctx context.Context, r audit.StoredRecord) error {
	if r.Seq <= 0 {
		return fmt.Errorf("%w: audit record seq must be positive", store.ErrInvalid)
	}
	n, err := o.exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3`,
		r.Seq, bval(r.Hash), r.Seq-1)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: record %d (lock the head with Head in the same transaction and use head+1)",
			store.ErrChainConflict, r.Seq)
	}
	_, err = o.exec(ctx, `INSERT INTO audit_records (seq, recorded_at, action, request_id, subject_ref, body, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.Seq, ts(r.Time), r.Action, r.RequestID, r.SubjectRef, bval(r.Body), bval(r.PrevHash), bval(r.Hash))
	return err
}

// InsertCheckpoint implements audit.Tx.
func (o *TxOps) InsertCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	_, err := o.exec(ctx, `INSERT INTO audit_checkpoints (seq, hash, recorded_at, key_id, signature)
		VALUES ($1, $2, $3, $4, $5)`, c.Seq, bval(c.Hash), ts(c.Time), c.KeyID, bval(c.Signature))
	return err
}

const checkpointCols = `seq, hash, recorded_at, key_id, signature`

func scanCheckpoint(r Rows) (audit.Checkpoint, error) {
	var c audit.Checkpoint
	err := r.Scan(&c.Seq, &c.Hash, tc(&c.Time), &c.KeyID, &c.Signature)
	return c, err
}

// LastCheckpoint implements audit.Tx.
func (o *TxOps) LastCheckpoint(ctx context.Context) (audit.Checkpoint, bool, error) {
	out, err := queryList(ctx, o.Ops, `SELECT `+checkpointCols+` FROM audit_checkpoints ORDER BY seq DESC, id DESC LIMIT 1`,
		nil, scanCheckpoint)
	if err != nil || len(out) == 0 {
		return audit.Checkpoint{}, false, err
	}
	return out[0], true, nil
}

// RecordHash implements audit.PruneTx.
func (o *TxOps) RecordHash(ctx context.Context, seq int64) ([]byte, bool, error) {
	var h []byte
	err := o.queryRow(ctx, `SELECT hash FROM audit_records WHERE seq = $1`, []any{seq}, &h)
	if errors.Is(err, errNoRows) {
		return nil, false, nil
	}
	return h, err == nil, err
}

// DeletePruned implements audit.PruneTx: it records the prune in
// audit_prunes (the append-only guard lets a DELETE through only for records
// a prune covers) and deletes the records it names.
func (o *TxOps) DeletePruned(ctx context.Context, p audit.Prune) (int64, error) {
	if p.FromSeq < 1 || p.ToSeq < p.FromSeq || p.Seq <= p.ToSeq {
		return 0, fmt.Errorf("%w: prune of records %d to %d by record %d", store.ErrInvalid, p.FromSeq, p.ToSeq, p.Seq)
	}
	if _, err := o.exec(ctx, `INSERT INTO audit_prunes (record_seq, from_seq, to_seq, hash, recorded_at) VALUES ($1, $2, $3, $4, $5)`,
		p.Seq, p.FromSeq, p.ToSeq, bval(p.Hash), ts(p.Time)); err != nil {
		return 0, err
	}
	return o.exec(ctx, `DELETE FROM audit_records WHERE seq >= $1 AND seq <= $2`, p.FromSeq, p.ToSeq)
}

// ---- audit.Reader ----

// StoredHead implements audit.HeadReader: the audit_head row, unlocked.
func (o *Ops) StoredHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := o.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`, nil, &seq, &hash)
	if errors.Is(err, errNoRows) {
		return 0, nil, fmt.Errorf("%w: the audit_head row is missing", store.ErrCorrupt)
	}
	if seq == 0 {
		hash = nil
	}
	return seq, hash, err
}

// CheckpointsAfter implements audit.CheckpointsAfterReader: the checkpoints
// above seq, ascending.
func (o *Ops) CheckpointsAfter(ctx context.Context, seq int64) iter.Seq2[audit.Checkpoint, error] {
	return o.checkpointsFrom(ctx, seq, math.MaxInt64)
}

// ReadBatch is how many checkpoints one query of Checkpoints reads (Records
// reads RecordsBatch records per query; see audit_read.go).
const ReadBatch = 2000

// Checkpoints implements audit.Reader: ascending Seq (then insertion order).
func (o *Ops) Checkpoints(ctx context.Context) iter.Seq2[audit.Checkpoint, error] {
	return o.checkpointsFrom(ctx, -1, -1)
}

// checkpointsFrom yields the checkpoints after (afterSeq, afterID) in (seq,
// id) order, ReadBatch per query.
func (o *Ops) checkpointsFrom(ctx context.Context, afterSeq, afterID int64) iter.Seq2[audit.Checkpoint, error] {
	return func(yield func(audit.Checkpoint, error) bool) {
		for {
			var batch []audit.Checkpoint
			var lastID int64
			err := o.queryAll(ctx, `SELECT id, `+checkpointCols+` FROM audit_checkpoints
				WHERE seq > $1 OR (seq = $1 AND id > $2) ORDER BY seq, id LIMIT $3`,
				[]any{afterSeq, afterID, int64(ReadBatch)}, func(r Rows) error {
					var c audit.Checkpoint
					err := r.Scan(&lastID, &c.Seq, &c.Hash, tc(&c.Time), &c.KeyID, &c.Signature)
					batch = append(batch, c)
					return err
				})
			if err != nil {
				yield(audit.Checkpoint{}, err)
				return
			}
			for _, c := range batch {
				if !yield(c, nil) {
					return
				}
			}
			if len(batch) < ReadBatch {
				return
			}
			afterSeq, afterID = batch[len(batch)-1].Seq, lastID
		}
	}
}
