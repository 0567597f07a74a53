package pii

// wordSet is a set of short words with a Bloom filter in front of its map.
// The names pass looks up every capitalised word of the text in several
// sets (lexicons, stop lists, cues, titles); almost none of the words of a
// log line ("Normal", "Scheduled", "Completed") is in any of them, and the
// filter rejects those for the cost of one multiplicative hash instead of
// a map look-up (string hash, probe, compare: 20-40 ns each). A word the
// filter lets through is looked up in the map, so the answer is exact.
type wordSet[V comparable] struct {
	bloom []uint64 // 2 bits per word, chosen by wordHash
	mask  uint64   // number of bits - 1 (a power of two)
	m     map[string]V
}

// newWordSet returns an empty set sized for about n words (about 1 %
// false positives from the filter at that size).
func newWordSet[V comparable](n int) *wordSet[V] {
	bits := uint64(1024)
	for bits < uint64(n)*12 {
		bits <<= 1
	}
	return &wordSet[V]{bloom: make([]uint64, bits/64), mask: bits - 1, m: make(map[string]V, n)}
}

// wordHash is FNV-1a over w, folded to ASCII lower case when fold is set,
// with a final mix so that both halves of the result are usable.
func wordHash(w []byte, fold bool) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range w {
		if fold {
			c = lower(c)
		}
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h ^ h>>31
}

func (ws *wordSet[V]) mayHold(h uint64) bool {
	b1, b2 := h&ws.mask, (h>>32)&ws.mask
	return ws.bloom[b1>>6]&(1<<(b1&63)) != 0 && ws.bloom[b2>>6]&(1<<(b2&63)) != 0
}

// set adds w with value v (replacing an earlier value of w).
func (ws *wordSet[V]) set(w string, v V) {
	h := wordHash([]byte(w), false)
	b1, b2 := h&ws.mask, (h>>32)&ws.mask
	ws.bloom[b1>>6] |= 1 << (b1 & 63)
	ws.bloom[b2>>6] |= 1 << (b2 & 63)
	ws.m[w] = v
}

// get returns the value of w (the zero value when w is not in the set).
func (ws *wordSet[V]) get(w []byte) V {
	var zero V
	if !ws.mayHold(wordHash(w, false)) {
		return zero
	}
	return ws.m[string(w)]
}

// getFold returns the value of w folded to ASCII lower case; the words of
// the set must be lower case. Words longer than 16 bytes are in no set
// that is looked up this way.
func (ws *wordSet[V]) getFold(w []byte) V {
	var zero V
	if len(w) > 16 || !ws.mayHold(wordHash(w, true)) {
		return zero
	}
	var buf [16]byte
	for k, c := range w {
		buf[k] = lower(c)
	}
	return ws.m[string(buf[:len(w)])]
}
