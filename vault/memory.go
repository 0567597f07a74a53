package vault

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// MemoryKeyStore is a KeyStore held in memory, for tests (of this and other packages)
// and demos. Its zero value is ready to use; it is safe for concurrent use. Byte
// slices are copied in and out, so callers may reuse their buffers.
type MemoryKeyStore struct {
	mu      sync.Mutex
	keysets map[string][]byte
	people  map[string]PersonKey
}

var _ KeyStore = (*MemoryKeyStore)(nil)

// LoadKeyset implements KeyStore.
func (m *MemoryKeyStore) LoadKeyset(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.keysets[name]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(b), nil
}

// SwapKeyset implements KeyStore.
func (m *MemoryKeyStore) SwapKeyset(ctx context.Context, name string, old, encrypted []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.keysets[name]
	if ok != (old != nil) || !bytes.Equal(cur, old) {
		return ErrKeysetChanged
	}
	if m.keysets == nil {
		m.keysets = make(map[string][]byte)
	}
	m.keysets[name] = slices.Clone(encrypted)
	return nil
}

// LoadPersonKey implements KeyStore.
func (m *MemoryKeyStore) LoadPersonKey(ctx context.Context, id string) (PersonKey, error) {
	if err := ctx.Err(); err != nil {
		return PersonKey{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.people[id]
	if !ok {
		return PersonKey{}, ErrNotFound
	}
	return clonePersonKey(k), nil
}

// CreatePersonKey implements KeyStore. A zero CreatedAt is set to the current time.
func (m *MemoryKeyStore) CreatePersonKey(ctx context.Context, k PersonKey) (PersonKey, error) {
	if err := ctx.Err(); err != nil {
		return PersonKey{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if existing, ok := m.people[k.ID]; ok {
		return clonePersonKey(existing), nil
	}
	if m.people == nil {
		m.people = make(map[string]PersonKey)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	k = clonePersonKey(k)
	m.people[k.ID] = k
	return clonePersonKey(k), nil
}

// UpdatePersonKey implements KeyStore. CreatedAt is kept from the stored key.
func (m *MemoryKeyStore) UpdatePersonKey(ctx context.Context, k PersonKey, prev []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	existing, ok := m.people[k.ID]
	if !ok || !bytes.Equal(existing.Wrapped, prev) {
		return ErrNotFound
	}
	existing.Wrapped = slices.Clone(k.Wrapped)
	existing.KEKVersion = k.KEKVersion
	m.people[k.ID] = existing
	return nil
}

// DestroyPersonKey implements KeyStore.
func (m *MemoryKeyStore) DestroyPersonKey(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.people[id]
	delete(m.people, id)
	return ok, nil
}

// PersonKeys implements KeyStore.
func (m *MemoryKeyStore) PersonKeys(ctx context.Context, afterID string, limit int) ([]PersonKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.people))
	for id := range m.people {
		if id > afterID {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]PersonKey, len(ids))
	for i, id := range ids {
		out[i] = clonePersonKey(m.people[id])
	}
	return out, nil
}

// Len reports how many person keys the store holds (for tests).
func (m *MemoryKeyStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.people)
}

func clonePersonKey(k PersonKey) PersonKey {
	k.Wrapped = slices.Clone(k.Wrapped)
	return k
}
