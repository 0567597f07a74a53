package vault

import "slices"

// setKeyset stores b under name in m unconditionally (tests that plant a damaged
// or foreign keyset).
func setKeyset(m *MemoryKeyStore, name string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keysets == nil {
		m.keysets = make(map[string][]byte)
	}
	m.keysets[name] = slices.Clone(b)
}
