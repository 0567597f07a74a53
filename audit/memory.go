package audit

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"slices"
	"sort"
	"sync"
)

// MemoryLog is an in-memory audit store: it implements Reader, and Update
// runs a function with a Tx, the way a database transaction would. It is safe
// for concurrent use; Tx.Head holds the chain-head lock until the function
// returns, so concurrent appends serialise and keep one gap-free chain.
// Writes become visible when the function returns nil and are discarded when
// it returns an error. The zero value is an empty log ready to use.
//
// MemoryLog is for tests, demos and benchmarks: it keeps nothing on disk.
type MemoryLog struct {
	once sync.Once
	sem  chan struct{} // the chain-head lock: one token

	mu          sync.RWMutex
	records     []StoredRecord // ascending Seq
	checkpoints []Checkpoint   // ascending Seq
}

// NewMemoryLog returns an empty MemoryLog.
func NewMemoryLog() *MemoryLog { return &MemoryLog{} }

func (m *MemoryLog) lock(ctx context.Context) error {
	m.once.Do(func() { m.sem = make(chan struct{}, 1) })
	select {
	case m.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *MemoryLog) unlock() { <-m.sem }

// Update runs fn with a transaction and commits its writes if fn returns nil.
// The Tx must not be used after fn returns or from several goroutines.
func (m *MemoryLog) Update(ctx context.Context, fn func(Tx) error) (err error) {
	tx := &memTx{m: m, ctx: ctx}
	defer func() {
		tx.done = true
		if tx.locked {
			m.unlock()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.commit()
}

// Records implements Reader. The records yielded share memory with the log:
// callers must not modify them.
func (m *MemoryLog) Records(ctx context.Context, fromSeq int64) iter.Seq2[StoredRecord, error] {
	return func(yield func(StoredRecord, error) bool) {
		m.mu.RLock()
		recs := m.records // appends never modify existing elements
		m.mu.RUnlock()
		i := sort.Search(len(recs), func(i int) bool { return recs[i].Seq >= fromSeq })
		for n, r := range recs[i:] {
			if n&4095 == 0 {
				if err := ctx.Err(); err != nil {
					yield(StoredRecord{}, err)
					return
				}
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Checkpoints implements Reader.
func (m *MemoryLog) Checkpoints(ctx context.Context) iter.Seq2[Checkpoint, error] {
	return func(yield func(Checkpoint, error) bool) {
		m.mu.RLock()
		cps := m.checkpoints
		m.mu.RUnlock()
		for _, c := range cps {
			if err := ctx.Err(); err != nil {
				yield(Checkpoint{}, err)
				return
			}
			if !yield(c, nil) {
				return
			}
		}
	}
}

// Len returns the number of records.
func (m *MemoryLog) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.records)
}

type memTx struct {
	m      *MemoryLog
	ctx    context.Context
	locked bool
	done   bool
	recs   []StoredRecord
	cps    []Checkpoint
	prune  *Prune
}

// RecordHash implements PruneTx.
func (t *memTx) RecordHash(ctx context.Context, seq int64) ([]byte, bool, error) {
	if t.done {
		return nil, false, ErrTxDone
	}
	for _, r := range t.recs {
		if r.Seq == seq {
			return bytes.Clone(r.Hash), true, nil
		}
	}
	t.m.mu.RLock()
	defer t.m.mu.RUnlock()
	i := sort.Search(len(t.m.records), func(i int) bool { return t.m.records[i].Seq >= seq })
	if i < len(t.m.records) && t.m.records[i].Seq == seq {
		return bytes.Clone(t.m.records[i].Hash), true, nil
	}
	return nil, false, nil
}

// DeletePruned implements PruneTx: the records are removed at commit.
func (t *memTx) DeletePruned(ctx context.Context, p Prune) (int64, error) {
	if t.done {
		return 0, ErrTxDone
	}
	t.prune = &p
	t.m.mu.RLock()
	defer t.m.mu.RUnlock()
	var n int64
	for _, r := range t.m.records {
		if r.Seq >= p.FromSeq && r.Seq <= p.ToSeq {
			n++
		}
	}
	return n, nil
}

func (t *memTx) Head(ctx context.Context) (int64, []byte, error) {
	if t.done {
		return 0, nil, ErrTxDone
	}
	if !t.locked {
		if err := t.m.lock(ctx); err != nil {
			return 0, nil, err
		}
		t.locked = true
	}
	if n := len(t.recs); n > 0 {
		return t.recs[n-1].Seq, bytes.Clone(t.recs[n-1].Hash), nil
	}
	t.m.mu.RLock()
	defer t.m.mu.RUnlock()
	if n := len(t.m.records); n > 0 {
		return t.m.records[n-1].Seq, bytes.Clone(t.m.records[n-1].Hash), nil
	}
	return 0, nil, nil
}

func (t *memTx) InsertRecord(ctx context.Context, r StoredRecord) error {
	if t.done {
		return ErrTxDone
	}
	r.Body, r.PrevHash, r.Hash = bytes.Clone(r.Body), bytes.Clone(r.PrevHash), bytes.Clone(r.Hash)
	t.recs = append(t.recs, r)
	return nil
}

func (t *memTx) InsertCheckpoint(ctx context.Context, c Checkpoint) error {
	if t.done {
		return ErrTxDone
	}
	c.Hash, c.Signature = bytes.Clone(c.Hash), bytes.Clone(c.Signature)
	t.cps = append(t.cps, c)
	return nil
}

func (t *memTx) LastCheckpoint(ctx context.Context) (Checkpoint, bool, error) {
	if t.done {
		return Checkpoint{}, false, ErrTxDone
	}
	if n := len(t.cps); n > 0 {
		return t.cps[n-1], true, nil
	}
	t.m.mu.RLock()
	defer t.m.mu.RUnlock()
	if n := len(t.m.checkpoints); n > 0 {
		return t.m.checkpoints[n-1], true, nil
	}
	return Checkpoint{}, false, nil
}

// commit applies the writes, checking (as a unique key would) that record
// sequence numbers only grow.
func (t *memTx) commit() error {
	if len(t.recs) == 0 && len(t.cps) == 0 && t.prune == nil {
		return nil
	}
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	last := int64(0)
	if n := len(m.records); n > 0 {
		last = m.records[n-1].Seq
	}
	for _, r := range t.recs {
		if r.Seq <= last {
			return fmt.Errorf("%w (record %d)", ErrSeqConflict, r.Seq)
		}
		last = r.Seq
	}
	m.records = append(m.records, t.recs...)
	if p := t.prune; p != nil {
		// A new slice: readers keep the one they hold.
		m.records = slices.DeleteFunc(slices.Clone(m.records), func(r StoredRecord) bool { return r.Seq >= p.FromSeq && r.Seq <= p.ToSeq })
	}
	for _, c := range t.cps {
		i := sort.Search(len(m.checkpoints), func(i int) bool { return m.checkpoints[i].Seq > c.Seq })
		if i == len(m.checkpoints) {
			m.checkpoints = append(m.checkpoints, c)
		} else {
			// Keep ascending order without touching the slice readers hold.
			m.checkpoints = append(m.checkpoints[:i:i], append([]Checkpoint{c}, m.checkpoints[i:]...)...)
		}
	}
	return nil
}
