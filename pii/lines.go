package pii

// Flags of lineScanAVX2: what the bytes it read hold.
const (
	lsEmail = 1 << iota // '@', '&' or '%' (see emailBytes)
	lsHigh              // a byte >= 0x80 (the text may not be ASCII)
)

// ebUnknown is the e-mail bytes of a text (see emailBytes) when the caller
// of find does not know them: the e-mail pass finds out.
const ebUnknown = 0x80
