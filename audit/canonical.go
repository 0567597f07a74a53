package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// FormatVersion is the "v" member of every record body.
const FormatVersion = 1

// RecordHashPrefix is the domain-separation prefix of record hashes:
// Hash = SHA-256(RecordHashPrefix || body).
const RecordHashPrefix = "intercom-privacy audit record v1\n"

// CheckpointSignPrefix is the domain-separation prefix of the message a
// checkpoint signature covers (see CheckpointMessage).
const CheckpointSignPrefix = "intercom-privacy audit checkpoint v1\n"

// TimeLayout is the fixed layout of every time in a body or a checkpoint
// message: UTC, exactly six fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ErrMalformed is matched by the errors DecodeBody returns for a body that is
// not the canonical encoding of a record.
var ErrMalformed = errors.New("audit: malformed record body")

// The members of a body, in the (byte) order they are written.
const (
	kAction = iota
	kActor
	kCounts
	kDenialReason
	kObjectIDs
	kOutcome
	kPrev
	kReason
	kRequestDate
	kRequestID
	kRequestMethod
	kRequestNature
	kResponseDate
	kResponseNature
	kSeq
	kSubjectRef
	kTime
	kV
	numKeys
)

var keyNames = [numKeys]string{
	kAction: "action", kActor: "actor", kCounts: "counts", kDenialReason: "denial_reason",
	kObjectIDs: "object_ids", kOutcome: "outcome", kPrev: "prev", kReason: "reason",
	kRequestDate: "request_date", kRequestID: "request_id", kRequestMethod: "request_method",
	kRequestNature: "request_nature", kResponseDate: "response_date",
	kResponseNature: "response_nature", kSeq: "seq", kSubjectRef: "subject_ref",
	kTime: "time", kV: "v",
}

// required members are present in every body, even when empty ("prev" of
// record 1 is "").
var required = [numKeys]bool{kAction: true, kActor: true, kOutcome: true, kPrev: true, kSeq: true, kTime: true, kV: true}

// AppendBody appends the canonical encoding of r to dst and returns the
// extended slice. It encodes r as it is, without validation (Chain.Append
// validates first); strings that are not valid UTF-8 have each bad byte
// replaced by U+FFFD, and times are written in UTC to the microsecond.
func AppendBody(dst []byte, r *Record) []byte {
	dst = append(dst, '{')
	dst = appendKey(dst, kAction, true)
	dst = appendString(dst, string(r.Action))
	dst = appendKey(dst, kActor, false)
	dst = appendString(dst, r.Actor)
	if len(r.Counts) > 0 {
		dst = appendKey(dst, kCounts, false)
		dst = append(dst, '{')
		keys := make([]string, 0, len(r.Counts))
		for k := range r.Counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, r.Counts[k], 10)
		}
		dst = append(dst, '}')
	}
	dst = appendOptString(dst, kDenialReason, r.DenialReason)
	if len(r.ObjectIDs) > 0 {
		dst = appendKey(dst, kObjectIDs, false)
		dst = append(dst, '[')
		for i, id := range r.ObjectIDs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, id)
		}
		dst = append(dst, ']')
	}
	dst = appendKey(dst, kOutcome, false)
	dst = appendString(dst, string(r.Outcome))
	dst = appendKey(dst, kPrev, false)
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, r.PrevHash)
	dst = append(dst, '"')
	dst = appendOptString(dst, kReason, r.Reason)
	dst = appendOptTime(dst, kRequestDate, r.RequestDate)
	dst = appendOptString(dst, kRequestID, r.RequestID)
	dst = appendOptString(dst, kRequestMethod, r.RequestMethod)
	dst = appendOptString(dst, kRequestNature, r.RequestNature)
	dst = appendOptTime(dst, kResponseDate, r.ResponseDate)
	dst = appendOptString(dst, kResponseNature, r.ResponseNature)
	dst = appendKey(dst, kSeq, false)
	dst = strconv.AppendInt(dst, r.Seq, 10)
	dst = appendOptString(dst, kSubjectRef, r.SubjectRef)
	dst = appendKey(dst, kTime, false)
	dst = appendTime(dst, r.Time)
	dst = appendKey(dst, kV, false)
	dst = strconv.AppendInt(dst, FormatVersion, 10)
	return append(dst, '}')
}

func appendKey(dst []byte, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, keyNames[k]...)
	return append(dst, '"', ':')
}

func appendOptString(dst []byte, k int, s string) []byte {
	if s == "" {
		return dst
	}
	dst = appendKey(dst, k, false)
	return appendString(dst, s)
}

func appendOptTime(dst []byte, k int, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	dst = appendKey(dst, k, false)
	return appendTime(dst, t)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = normTime(t).AppendFormat(dst, TimeLayout)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: '"' and '\\' escaped, the controls
// \b \f \n \r \t by name, other bytes below 0x20 and 0x7f as \u00xx, all
// other characters as they are (invalid UTF-8 bytes become U+FFFD). This is
// also what `jq -c` writes.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// bodyView is a parsed body whose strings are still the raw (escaped) bytes
// between the quotes, pointing into the body: parsing allocates nothing.
type bodyView struct {
	present [numKeys]bool
	str     [numKeys][]byte // raw string members
	seq     int64
	time    time.Time // the "time" member
	counts  []byte    // raw "{...}" of counts, validated
	objects []byte    // raw "[...]" of object_ids, validated
	nCounts int
	nObjs   int
}

// malformed returns an error for a non-canonical body; it names the byte
// offset and the problem, never the content.
func malformed(off int, what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, off)
}

// parseBody parses body strictly: it accepts exactly the byte strings
// AppendBody produces (keys in order, no whitespace, canonical strings and
// integers, no empty optional member), and nothing else.
func parseBody(body []byte, v *bodyView) error {
	*v = bodyView{}
	p := 0
	if len(body) < 2 || body[0] != '{' {
		return malformed(0, "not a JSON object")
	}
	p = 1
	last := -1
	for {
		if p >= len(body) {
			return malformed(p, "unexpected end")
		}
		if last >= 0 {
			if body[p] == '}' {
				p++
				break
			}
			if body[p] != ',' {
				return malformed(p, "expected ',' or '}'")
			}
			p++
		}
		ks, ke, np, err := scanString(body, p)
		if err != nil {
			return err
		}
		k := lookupKey(body[ks:ke])
		if k < 0 {
			return malformed(p, "unknown member")
		}
		if k <= last {
			return malformed(p, "member out of order or repeated")
		}
		last = k
		p = np
		if p >= len(body) || body[p] != ':' {
			return malformed(p, "expected ':'")
		}
		p++
		v.present[k] = true
		switch k {
		case kSeq, kV:
			n, np, err := scanInt(body, p)
			if err != nil {
				return err
			}
			if k == kSeq {
				if n < 1 {
					return malformed(p, "seq below 1")
				}
				v.seq = n
			} else if n != FormatVersion {
				return malformed(p, "unsupported format version")
			}
			p = np
		case kCounts:
			np, n, err := scanCounts(body, p)
			if err != nil {
				return err
			}
			v.counts, v.nCounts, p = body[p:np], n, np
		case kObjectIDs:
			np, n, err := scanStrings(body, p)
			if err != nil {
				return err
			}
			v.objects, v.nObjs, p = body[p:np], n, np
		default:
			s, e, np, err := scanString(body, p)
			if err != nil {
				return err
			}
			if s == e && !required[k] {
				return malformed(p, "empty optional member")
			}
			v.str[k] = body[s:e]
			p = np
			switch k {
			case kTime, kRequestDate, kResponseDate:
				t, ok := canonicalTime(v.str[k])
				if !ok {
					return malformed(s, "time not in the canonical layout")
				}
				if k == kTime {
					v.time = t
				}
			case kPrev:
				if e-s != 0 && (e-s != 2*sha256.Size || !isLowerHex(v.str[k])) {
					return malformed(s, "prev is not a lower-case hex SHA-256")
				}
			}
		}
	}
	if p != len(body) {
		return malformed(p, "data after the object")
	}
	for k := range numKeys {
		if required[k] && !v.present[k] {
			return malformed(len(body), "missing member "+strconv.Quote(keyNames[k]))
		}
	}
	return nil
}

func lookupKey(b []byte) int {
	// Keys need no escapes, so a raw comparison is exact.
	for k := range numKeys {
		if string(b) == keyNames[k] {
			return k
		}
	}
	return -1
}

// byteClass marks, for each byte, whether it is a lower-case hex digit and
// whether it may appear unescaped in a canonical string (printable ASCII
// other than '"' and '\\').
var byteClass = func() (t [256]uint8) {
	for c := 0x20; c < 0x7f; c++ {
		if c != '"' && c != '\\' {
			t[c] |= plainByte
		}
	}
	for _, c := range "0123456789abcdef" {
		t[c] |= hexByte
	}
	return t
}()

const (
	plainByte = 1 << iota
	hexByte
)

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if byteClass[c]&hexByte == 0 {
			return false
		}
	}
	return true
}

// canonicalTime parses b as a time in TimeLayout and reports whether it is
// valid (a real date, hours below 24, minutes and seconds below 60), which
// makes it format back to exactly b. It does not allocate.
func canonicalTime(b []byte) (time.Time, bool) {
	if len(b) != len(TimeLayout) {
		return time.Time{}, false
	}
	for i := range len(TimeLayout) {
		c := TimeLayout[i]
		if c >= '0' && c <= '9' {
			if b[i] < '0' || b[i] > '9' {
				return time.Time{}, false
			}
		} else if b[i] != c {
			return time.Time{}, false
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := num(0, 4), num(5, 2), num(8, 2)
	h, mi, sec, us := num(11, 2), num(14, 2), num(17, 2), num(20, 6)
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	if t.Day() != d { // 30 February and the like roll over
		return time.Time{}, false
	}
	return t, true
}

// scanString scans a canonical JSON string starting at body[p] == '"'. It
// returns the span of the raw content and the offset after the closing quote.
func scanString(body []byte, p int) (start, end, next int, err error) {
	if p >= len(body) || body[p] != '"' {
		return 0, 0, 0, malformed(p, "expected a string")
	}
	p++
	start = p
	for p < len(body) {
		c := body[p]
		if byteClass[c]&plainByte != 0 {
			p++
			continue
		}
		switch {
		case c == '"':
			return start, p, p + 1, nil
		case c == '\\':
			if p+1 >= len(body) {
				return 0, 0, 0, malformed(p, "unterminated escape")
			}
			switch body[p+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				p += 2
			case 'u':
				// Only \u00xx for a control byte AppendString writes that way.
				if p+6 > len(body) || body[p+2] != '0' || body[p+3] != '0' {
					return 0, 0, 0, malformed(p, "non-canonical escape")
				}
				x, ok := unhex2(body[p+4], body[p+5])
				if !ok || !(x < 0x20 && !namedControl(x) || x == 0x7f) {
					return 0, 0, 0, malformed(p, "non-canonical escape")
				}
				p += 6
			default:
				return 0, 0, 0, malformed(p, "non-canonical escape")
			}
		case c < 0x20 || c == 0x7f:
			return 0, 0, 0, malformed(p, "unescaped control character")
		case c < utf8.RuneSelf:
			p++
		default:
			r, size := utf8.DecodeRune(body[p:])
			if r == utf8.RuneError && size == 1 {
				return 0, 0, 0, malformed(p, "invalid UTF-8")
			}
			p += size
		}
	}
	return 0, 0, 0, malformed(p, "unterminated string")
}

func namedControl(c byte) bool {
	return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t'
}

// unhex2 decodes two lower-case hex digits.
func unhex2(a, b byte) (byte, bool) {
	h := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		}
		return 0, false
	}
	x, ok1 := h(a)
	y, ok2 := h(b)
	return x<<4 | y, ok1 && ok2
}

// scanInt scans a canonical decimal int64: no sign but '-', no leading zero,
// no "-0".
func scanInt(body []byte, p int) (int64, int, error) {
	s := p
	if p < len(body) && body[p] == '-' {
		p++
	}
	d := p
	for p < len(body) && body[p] >= '0' && body[p] <= '9' {
		p++
	}
	if p == d || (body[d] == '0' && (p-d > 1 || d > s)) {
		return 0, 0, malformed(s, "non-canonical integer")
	}
	n, err := strconv.ParseInt(string(body[s:p]), 10, 64)
	if err != nil {
		return 0, 0, malformed(s, "integer out of range")
	}
	return n, p, nil
}

// scanCounts scans a non-empty object of string keys (strictly ascending)
// to integers.
func scanCounts(body []byte, p int) (next, n int, err error) {
	if p >= len(body) || body[p] != '{' {
		return 0, 0, malformed(p, "expected an object")
	}
	p++
	var prev []byte
	for {
		if n > 0 {
			if p < len(body) && body[p] == '}' {
				return p + 1, n, nil
			}
			if p >= len(body) || body[p] != ',' {
				return 0, 0, malformed(p, "expected ',' or '}'")
			}
			p++
		}
		s, e, np, err := scanString(body, p)
		if err != nil {
			return 0, 0, err
		}
		key := body[s:e]
		if n > 0 && !keyLess(prev, key) {
			return 0, 0, malformed(p, "count keys out of order or repeated")
		}
		prev = key
		p = np
		if p >= len(body) || body[p] != ':' {
			return 0, 0, malformed(p, "expected ':'")
		}
		if _, p, err = scanInt(body, p+1); err != nil {
			return 0, 0, err
		}
		n++
	}
}

// keyLess compares two raw (escaped) keys by their decoded bytes.
func keyLess(a, b []byte) bool {
	if bytes.IndexByte(a, '\\') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return bytes.Compare(a, b) < 0
	}
	return unescape(nil, a) < unescape(nil, b)
}

// scanStrings scans a non-empty array of strings.
func scanStrings(body []byte, p int) (next, n int, err error) {
	if p >= len(body) || body[p] != '[' {
		return 0, 0, malformed(p, "expected an array")
	}
	p++
	for {
		if n > 0 {
			if p < len(body) && body[p] == ']' {
				return p + 1, n, nil
			}
			if p >= len(body) || body[p] != ',' {
				return 0, 0, malformed(p, "expected ',' or ']'")
			}
			p++
		}
		_, _, np, err := scanString(body, p)
		if err != nil {
			return 0, 0, err
		}
		p = np
		n++
	}
}

// unescape decodes raw string content validated by scanString, appending to
// dst, and returns it as a string.
func unescape(dst []byte, raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	dst = dst[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			x, _ := unhex2(raw[i+3], raw[i+4])
			dst = append(dst, x)
			i += 4
		default: // '"', '\\'
			dst = append(dst, raw[i])
		}
	}
	return string(dst)
}

// rawEqual reports whether raw string content equals s once decoded.
func rawEqual(raw []byte, s string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == s
	}
	return unescape(nil, raw) == s
}

// DecodeBody decodes a canonical record body (as AppendBody writes it) into a
// Record, with Hash computed from body. It fails with an error matching
// ErrMalformed for anything else: the encoding is checked strictly, so
// AppendBody of the result gives body back byte for byte.
func DecodeBody(body []byte) (Record, error) {
	var v bodyView
	if err := parseBody(body, &v); err != nil {
		return Record{}, err
	}
	var buf []byte
	str := func(k int) string { return unescape(buf, v.str[k]) }
	tm := func(k int) time.Time {
		if !v.present[k] {
			return time.Time{}
		}
		t, _ := canonicalTime(v.str[k]) // validated by parseBody
		return t
	}
	r := Record{
		Seq:            v.seq,
		Time:           tm(kTime),
		Actor:          str(kActor),
		Action:         Action(str(kAction)),
		RequestID:      str(kRequestID),
		SubjectRef:     str(kSubjectRef),
		Outcome:        Outcome(str(kOutcome)),
		Reason:         str(kReason),
		RequestDate:    tm(kRequestDate),
		RequestNature:  str(kRequestNature),
		RequestMethod:  str(kRequestMethod),
		ResponseDate:   tm(kResponseDate),
		ResponseNature: str(kResponseNature),
		DenialReason:   str(kDenialReason),
	}
	if len(v.str[kPrev]) > 0 {
		r.PrevHash, _ = hex.AppendDecode(nil, v.str[kPrev]) // validated by parseBody
	}
	if v.nCounts > 0 {
		r.Counts = make(map[string]int64, v.nCounts)
		p := 1
		for range v.nCounts {
			s, e, np, _ := scanString(v.counts, p)
			n, np2, _ := scanInt(v.counts, np+1)
			r.Counts[unescape(buf, v.counts[s:e])] = n
			p = np2 + 1
		}
	}
	if v.nObjs > 0 {
		r.ObjectIDs = make([]string, 0, v.nObjs)
		p := 1
		for range v.nObjs {
			s, e, np, _ := scanString(v.objects, p)
			r.ObjectIDs = append(r.ObjectIDs, unescape(buf, v.objects[s:e]))
			p = np + 1
		}
	}
	r.Hash = HashBody(body)
	return r, nil
}

// HashBody returns SHA-256(RecordHashPrefix || body).
func HashBody(body []byte) []byte {
	h := sha256.New()
	return hashBody(h, body, nil)
}

var recordHashPrefix = []byte(RecordHashPrefix)

// hashBody is HashBody with a reusable hash and output buffer.
func hashBody(h hash.Hash, body, dst []byte) []byte {
	h.Reset()
	h.Write(recordHashPrefix)
	h.Write(body)
	return h.Sum(dst[:0])
}

// CheckpointMessage returns the bytes a checkpoint's signature covers:
//
//	CheckpointSignPrefix || {"hash":"<hex>","key_id":"<id>","seq":<n>,"time":"<TimeLayout>"}
//
// with c.Time in UTC to the microsecond and the key id as a JSON string.
func CheckpointMessage(c Checkpoint) []byte {
	return appendCheckpointMessage(nil, &c)
}

func appendCheckpointMessage(dst []byte, c *Checkpoint) []byte {
	dst = append(dst, CheckpointSignPrefix...)
	dst = append(dst, `{"hash":"`...)
	dst = hex.AppendEncode(dst, c.Hash)
	dst = append(dst, `","key_id":`...)
	dst = appendString(dst, c.KeyID)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, c.Seq, 10)
	dst = append(dst, `,"time":`...)
	dst = appendTime(dst, c.Time)
	return append(dst, '}')
}
