package audit

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
)

// MemMutator tampers with a MemoryLog's rows, for the tamper suite. It exists
// only in tests: MemoryLog itself has no way to change or delete a record.
type MemMutator struct{ M *MemoryLog }

func (m MemMutator) find(seq int64) (int, error) {
	for i, r := range m.M.records {
		if r.Seq == seq {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no record %d", seq)
}

// edit runs f on a private copy of the records (readers keep their snapshot).
func (m MemMutator) edit(f func(recs []StoredRecord) ([]StoredRecord, error)) error {
	m.M.mu.Lock()
	defer m.M.mu.Unlock()
	recs, err := f(slices.Clone(m.M.records))
	if err != nil {
		return err
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	m.M.records = recs
	return nil
}

func (m MemMutator) UpdateRecordBody(ctx context.Context, seq int64, body []byte) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		i, err := m.find(seq)
		if err == nil {
			recs[i].Body = bytes.Clone(body)
		}
		return recs, err
	})
}

func (m MemMutator) UpdateHash(ctx context.Context, seq int64, hash []byte) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		i, err := m.find(seq)
		if err == nil {
			recs[i].Hash = bytes.Clone(hash)
		}
		return recs, err
	})
}

func (m MemMutator) DeleteRecord(ctx context.Context, seq int64) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		i, err := m.find(seq)
		if err != nil {
			return nil, err
		}
		return slices.Delete(recs, i, i+1), nil
	})
}

func (m MemMutator) InsertRecord(ctx context.Context, r StoredRecord) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		if _, err := m.find(r.Seq); err == nil {
			return nil, fmt.Errorf("record %d exists", r.Seq)
		}
		return append(recs, r), nil
	})
}

func (m MemMutator) SwapSeq(ctx context.Context, a, b int64) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		i, err := m.find(a)
		if err != nil {
			return nil, err
		}
		j, err := m.find(b)
		if err != nil {
			return nil, err
		}
		recs[i].Seq, recs[j].Seq = b, a
		return recs, nil
	})
}

func (m MemMutator) TruncateAfter(ctx context.Context, seq int64) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		return slices.DeleteFunc(recs, func(r StoredRecord) bool { return r.Seq > seq }), nil
	})
}

// UpdateColumn changes a stored column copy (not the body) of record seq.
func (m MemMutator) UpdateAction(seq int64, action string) error {
	return m.edit(func(recs []StoredRecord) ([]StoredRecord, error) {
		i, err := m.find(seq)
		if err == nil {
			recs[i].Action = action
		}
		return recs, err
	})
}

// DeleteCheckpointsAfter deletes every checkpoint above seq.
func (m MemMutator) DeleteCheckpointsAfter(ctx context.Context, seq int64) error {
	m.M.mu.Lock()
	defer m.M.mu.Unlock()
	m.M.checkpoints = slices.DeleteFunc(slices.Clone(m.M.checkpoints), func(c Checkpoint) bool { return c.Seq > seq })
	return nil
}
