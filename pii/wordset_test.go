package pii

import (
	"fmt"
	"testing"
)

// TestWordSet: a wordSet answers exactly like its map, whatever its
// filter lets through: every word added is found with its value, in any
// ASCII case through getFold, and no other word is.
func TestWordSet(t *testing.T) {
	ws := newWordSet[uint8](500)
	want := map[string]uint8{}
	for k := range 500 {
		w := fmt.Sprintf("w%dx", k*7)
		ws.set(w, uint8(k%5+1))
		want[w] = uint8(k%5 + 1)
	}
	for w, v := range want {
		if got := ws.get([]byte(w)); got != v {
			t.Fatalf("get(%q) = %d, want %d", w, got, v)
		}
		if got := ws.getFold([]byte(asciiUpper(w))); got != v {
			t.Fatalf("getFold(%q) = %d, want %d", asciiUpper(w), got, v)
		}
	}
	passed := 0
	for k := range 20000 {
		w := fmt.Sprintf("w%dx", k*7+3)
		if ws.get([]byte(w)) != 0 || ws.getFold([]byte(w)) != 0 {
			t.Fatalf("%q is not in the set but was found", w)
		}
		if ws.mayHold(wordHash([]byte(w), false)) {
			passed++
		}
	}
	// The filter must reject most non-members, or it saves nothing.
	if passed > 20000/20 {
		t.Errorf("the Bloom filter let %d of 20000 non-members through", passed)
	}
	if ws.get(nil) != 0 || ws.getFold([]byte("a-word-longer-than-sixteen-bytes")) != 0 {
		t.Fatal("empty or long word found")
	}
	// The name sets hold what they held as maps.
	for _, c := range []struct {
		set  *wordSet[bool]
		w    string
		fold bool
	}{{nameStop, "May", false}, {greetNot, "Team", false}, {nameCues, "REGARDS", true}, {nameTitles, "Dr", true}, {nameParticles, "van", false}} {
		got := c.set.get([]byte(c.w))
		if c.fold {
			got = c.set.getFold([]byte(c.w))
		}
		if !got {
			t.Errorf("%q not found", c.w)
		}
	}
	if lexLookup([]byte("Jane"))&lexFirst == 0 || lexLookup([]byte("Léa")) == 0 && lexLookup([]byte("Lea")) != 0 {
		t.Error("lexicon look-up lost a first name")
	}
}
