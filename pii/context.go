package pii

// Context of a candidate value: the key it stands under and the shape of
// the log line around it. These checks run only on candidates that have
// already passed a shape test (a digit run that may be a phone or a card,
// a word that may be an IBAN), never on every word, so they cost nothing
// on text without candidates.

// keyBefore returns the key that the value starting at v stands under, or
// nil: the word before `=` or `:` in `key=value`, `key: value`,
// `"key": value`, `key="value"`, `'key': 'value'`, `[key=value]` and
// query strings (`?key=value&`). The key may be dotted or hyphenated
// ("user.order_id", "X-Request-Id"); at most 64 bytes are looked at.
func keyBefore(t []byte, v int) []byte {
	k := v
	if k > 0 && (t[k-1] == '"' || t[k-1] == '\'') {
		k--
	}
	for m := 0; m < 2 && k > 0 && (t[k-1] == ' ' || t[k-1] == '\t'); m++ {
		k--
	}
	if k == 0 || t[k-1] != '=' && t[k-1] != ':' {
		return nil
	}
	if t[k-1] == ':' && k >= 2 && t[k-2] == ':' {
		return nil // "::", an IPv6 address or a C++ scope
	}
	k--
	if k > 0 && (t[k-1] == '"' || t[k-1] == '\'') {
		k--
	}
	for m := 0; m < 1 && k > 0 && t[k-1] == ' '; m++ {
		k--
	}
	e := k
	for k > 0 && e-k < 64 && (isAlnum(t[k-1]) || t[k-1] == '_' || t[k-1] == '-' || t[k-1] == '.') {
		k--
	}
	if k == e || e-k >= 64 {
		return nil
	}
	return t[k:e]
}

// keyParts returns the last part of a dotted, hyphenated, snake_case or
// camelCase key, folded to lower case into buf, and the
// whole key folded the same way without separators: "user.orderId" gives
// ("id", "userorderid").
func keyParts(key []byte, buf *[64]byte) (last, whole []byte) {
	n := 0
	seg := 0
	for i, c := range key {
		if c == '.' || c == '-' || c == '_' {
			seg = n
			continue
		}
		if isUpper(c) && i > 0 && !isUpper(key[i-1]) && key[i-1] != '.' && key[i-1] != '-' && key[i-1] != '_' {
			seg = n // camelCase boundary
		}
		buf[n] = lower(c)
		n++
	}
	return buf[seg:n], buf[:n]
}

// idLastWords are the last parts of keys whose values are identifiers,
// counters, sizes, durations or versions, never personal data.
var idLastWords = map[string]bool{}

// idWholeKeys are whole keys (folded, separators removed) of the same
// kind whose last part alone would be ambiguous.
var idWholeKeys = map[string]bool{}

func init() {
	for _, w := range []string{"id", "ids", "uuid", "guid", "uid", "gid", "pid", "ppid", "tid", "oid", "ms", "us", "ns",
		"sec", "secs", "seconds", "millis", "micros", "nanos", "bytes", "byte", "size", "len", "length", "count", "cnt",
		"num", "no", "nr", "version", "ver", "vsn", "port", "trace", "traceid", "span", "spanid", "seq", "sequence",
		"offset", "line", "lineno", "status", "code", "total", "elapsed", "duration", "latency", "took", "time", "ts",
		"timestamp", "epoch", "at", "nonce", "build", "rev", "revision", "sha", "hash", "checksum", "crc", "digest",
		"block", "blk", "inode", "errno", "retries", "retry", "attempt", "attempts", "shard", "partition", "index",
		"idx", "pos", "limit", "page", "max", "min", "avg", "sum", "key", "ref", "etag", "serial", "batch", "job",
		"task", "thread", "worker", "lsn", "xid", "txid", "rows", "items", "kb", "mb", "gb", "ttl", "expiry", "exp",
		"iat", "nbf", "generation", "epochms", "qty", "quantity", "amount", "cents", "price", "rank", "score", "order",
		"invoice", "ticket", "build", "commit", "tag", "hops", "depth", "level"} {
		idLastWords[w] = true
	}
	for _, w := range []string{"requestid", "correlationid", "traceparent", "xrequestid", "xb3traceid", "xb3spanid",
		"orderno", "ordernumber", "invoicenumber", "ticketnumber", "trackingnumber", "referencenumber",
		"confirmationnumber", "transactionnumber", "buildnumber", "versionnumber", "serialnumber", "portnumber",
		"linenumber", "sequencenumber", "blocknumber", "jobnumber", "tasknumber", "pagenumber", "ordernum"} {
		idWholeKeys[w] = true
	}
}

// sensitiveKeyParts are parts of keys that make a value personal data: a
// key holding one and ending in "no", "nr", "num" or "number" is not
// id-like ("phone_number", "card_no"); "card_id" is.
var sensitiveKeyParts = []string{"phone", "mobile", "fax", "card", "iban", "ssn", "account", "msisdn", "passport", "licen", "dob", "birth", "telephone", "telefon"}

// underIDKey reports whether the value starting at v stands under a key
// whose values are identifiers, counters, sizes, durations or versions
// (`order_id=`, `"span_id": "`, `duration_ms:`, `bytes=`, `port=`): such a
// value is never a phone number, a card number or an IBAN.
func underIDKey(t []byte, v int) bool {
	key := keyBefore(t, v)
	if key == nil {
		return false
	}
	var buf [64]byte
	last, whole := keyParts(key, &buf)
	if len(last) == 0 {
		return false
	}
	switch string(last) {
	case "no", "nr", "num", "number":
		return !sensitiveKey(whole) && (string(last) != "number" || idWholeKeys[string(whole)])
	}
	if idLastWords[string(last)] || idWholeKeys[string(whole)] {
		return true
	}
	// Glued camelCase or lower-case compounds: "orderid", "traceid", "durationms".
	for _, suf := range [...]string{"id", "ids", "ms", "bytes", "count", "version", "port", "pid", "uuid"} {
		if len(whole) > len(suf) && string(whole[len(whole)-len(suf):]) == suf {
			if suf == "id" && len(whole) >= 3 && whole[len(whole)-3] == 'a' {
				continue // "...aid" (paid, said) is not "..._id"
			}
			return !sensitiveKey(whole)
		}
	}
	return false
}

// sensitiveKey reports whether the folded key holds one of
// sensitiveKeyParts.
func sensitiveKey(whole []byte) bool {
	for _, p := range sensitiveKeyParts {
		if containsStr(whole, p) {
			return true
		}
	}
	return false
}

func containsStr(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == s[0] && string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

// validHMS reports whether the six digits d are a time of day hhmmss.
func validHMS(d []byte) bool {
	return len(d) == 6 && atoi(d[0:2]) < 24 && atoi(d[2:4]) < 60 && atoi(d[4:6]) < 61
}

// validDateDigits reports whether d is a compact date: yymmdd, yyyymmdd or
// mmdd.
func validDateDigits(d []byte) bool {
	var m, dd int
	switch len(d) {
	case 4:
		m, dd = atoi(d[0:2]), atoi(d[2:4])
	case 6:
		m, dd = atoi(d[2:4]), atoi(d[4:6])
	case 8:
		y := atoi(d[0:4])
		if y < 1970 || y > 2100 {
			return false
		}
		m, dd = atoi(d[4:6]), atoi(d[6:8])
	default:
		return false
	}
	return m >= 1 && m <= 12 && dd >= 1 && dd <= 31
}

// nationalPhoneShape reports whether the groups [a,b) of the current digit
// run, written without '+' or "00", can be a national phone number as
// people write one rather than a piece of log structure:
//
//   - a '.' joins groups only when every separator is that one '.' and
//     there are at least three groups ("555.123.4567", "01.23.45.67.89");
//     "0.10004553", "38.811  1702" and "520665636.6" are decimals and
//     timestamps;
//   - no separator is two blanks (columns: "38.811  1702  2395");
//   - no group after the first has a single digit ("IRQs 3 4 5 6 7 10 11");
//   - (the above are phoneSeps, also applied to "00" numbers)
//   - a compact date followed by a compact time ("081109 203615",
//     "0701/114930") is a timestamp;
//   - without a phone context word, two groups are a phone only when the
//     first is a trunk or area code ('0'-led, at most 6 digits, or in
//     brackets), an Italian mobile prefix ("333 1234567") or the first
//     half of an Indian mobile ("98765 43210"): "247935 2568" and
//     "5002 150089" are counters.
func (s *scanner) nationalPhoneShape(a, b int, ctx bool) bool {
	t := s.t
	// The two-group rule first: it is the cheapest and rejects most
	// counters ("200 44821"); the tests are independent of each other.
	if b-a == 2 && !ctx && !s.twoGroupPhone(a) {
		return false
	}
	if !s.phoneSeps(a, b) {
		return false
	}
	// A compact date and time anywhere in the run, or just before it.
	for g := max(a-1, 0); g+1 < b; g++ {
		g0, g1 := t[s.g[g].s:s.g[g].e], t[s.g[g+1].s:s.g[g+1].e]
		if (len(g1) == 6 && validHMS(g1) || len(g1) == 4 && atoi(g1[:2]) < 24 && atoi(g1[2:]) < 60) && validDateDigits(g0) {
			return false
		}
	}
	return true
}

// twoGroupPhone is the rule of nationalPhoneShape for two groups a and
// a+1 without a phone context word: the first is a trunk or area code
// ('0'-led, at most 6 digits, or in brackets), an Italian mobile prefix or
// the first half of an Indian mobile.
func (s *scanner) twoGroupPhone(a int) bool {
	t := s.t
	g0 := t[s.g[a].s:s.g[a].e]
	br := s.g[a].s > 0 && t[s.g[a].s-1] == '('
	g1 := t[s.g[a+1].s:s.g[a+1].e]
	in := s.e.regions.in && len(g0) == 5 && len(g1) == 5 && g0[0] >= '6' // "98765 43210"
	return g0[0] == '0' && len(g0) <= 6 || br || g0[0] == '3' && len(g0) == 3 || in
}

// idKey reports, once per digit run (cached in s.idk), whether the run
// starting at start stands under an id-like key (underIDKey).
func (s *scanner) idKey(start int) bool {
	if s.idk == 0 {
		s.idk = 2
		if underIDKey(s.t, start) {
			s.idk = 1
		}
	}
	return s.idk == 1
}

// phoneSeps applies the separator rules of nationalPhoneShape to the
// groups [a,b): dots only alone and in three groups or more, no column of
// two blanks, no one-digit group after the first.
func (s *scanner) phoneSeps(a, b int) bool {
	t := s.t
	dot := false
	for g := a + 1; g < b; g++ {
		sp := s.sep[g]
		if sp.e-sp.s == 2 && t[sp.s] == ' ' && t[sp.s+1] == ' ' {
			return false
		}
		for _, c := range t[sp.s:sp.e] {
			if c == '.' {
				dot = true
			}
		}
		if s.g[g].e-s.g[g].s == 1 {
			return false
		}
	}
	if dot {
		if b-a < 3 {
			return false
		}
		for g := a + 1; g < b; g++ {
			sp := s.sep[g]
			if sp.e-sp.s != 1 || t[sp.s] != '.' {
				return false
			}
		}
	}
	return true
}
