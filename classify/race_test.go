package classify

import (
	"bytes"
	"sync"
	"testing"
)

// TestConcurrentUse runs one Redactor from several goroutines (walkers and
// HMAC states are pooled) and checks every result is the same.
func TestConcurrentUse(t *testing.T) {
	r := mustNew(t, Options{Identifiers: PseudonymiseIdentifiers, HMACKey: bytes.Repeat([]byte{3}, 32)})
	want, err := r.Redact([]byte(contactDoc), KindContact)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := r.Redact([]byte(contactDoc), KindContact)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("concurrent result differs (err %v)", err)
					return
				}
				if _, err := r.RedactValue(map[string]any{"email": "a@b.co", "n": []any{1.5}}, KindContact); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
