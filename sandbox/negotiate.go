package sandbox

import (
	"net/http"
	"strings"
)

// Content negotiation (RFC 9110 §12.5.1). Every endpoint of the sandbox produces one
// media type: JSON, or application/octet-stream for export downloads. A request whose
// Accept excludes it is answered 406, in Intercom's error.list envelope like every
// other error (RFC 9110 §15.5.7 lets an error be sent in a type the client did not
// ask for).

const (
	mediaJSON   = "application/json"
	mediaBinary = "application/octet-stream"
)

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	params   [][2]string // lower-cased names; values unquoted; q excluded
	q        int         // quality in thousandths, 0..1000
}

// acceptQuality returns the quality (0..1000) the Accept header lines give to the
// media type offered (type/subtype, lower case, without parameters; offeredParams are
// the parameters it is served with). The most specific matching range decides:
// type/subtype with parameters, then type/subtype, then type/*, then */*. No Accept
// header, or one without a single well-formed element, accepts everything (RFC 9110
// lets a server disregard a field it cannot parse); a well-formed header that matches
// nothing gives 0.
func acceptQuality(lines []string, offered string, offeredParams map[string]string) int {
	typ, sub, _ := strings.Cut(offered, "/")
	ranges := parseAccept(lines)
	if len(ranges) == 0 {
		return 1000
	}
	best, bestSpec := 0, -1
	for _, r := range ranges {
		spec := -1
		switch {
		case r.typ == "*" && r.sub == "*":
			spec = 0
		case r.typ == typ && r.sub == "*":
			spec = 1
		case r.typ == typ && r.sub == sub:
			spec = 2
		}
		if spec < 0 {
			continue
		}
		if len(r.params) > 0 {
			if spec != 2 || !paramsMatch(r.params, offeredParams) {
				continue
			}
			spec = 2 + len(r.params)
		}
		if spec > bestSpec {
			best, bestSpec = r.q, spec
		}
	}
	return best
}

func paramsMatch(want [][2]string, have map[string]string) bool {
	for _, p := range want {
		v, ok := have[p[0]]
		if !ok || !strings.EqualFold(v, p[1]) {
			return false
		}
	}
	return true
}

// maxAcceptElements bounds the work one header can cause.
const maxAcceptElements = 64

// parseAccept parses Accept header lines into media ranges, skipping malformed
// elements (a range that is not token/token, a bad parameter, a q outside the
// qvalue grammar, "*/subtype").
func parseAccept(lines []string) []mediaRange {
	var out []mediaRange
	for _, line := range lines {
		for _, el := range splitQuoted(line, ',') {
			if len(out) == maxAcceptElements {
				return out
			}
			if r, ok := parseMediaRange(el); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

func parseMediaRange(el string) (mediaRange, bool) {
	parts := splitQuoted(el, ';')
	if len(parts) == 0 {
		return mediaRange{}, false
	}
	typ, sub, ok := strings.Cut(strings.TrimSpace(parts[0]), "/")
	typ, sub = strings.ToLower(typ), strings.ToLower(sub)
	if !ok || !isToken(typ) || !isToken(sub) || (typ == "*" && sub != "*") {
		return mediaRange{}, false
	}
	r := mediaRange{typ: typ, sub: sub, q: 1000}
	for _, p := range parts[1:] {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		if !ok || !isToken(name) {
			return mediaRange{}, false
		}
		if name == "q" {
			q, ok := parseQ(val)
			if !ok {
				return mediaRange{}, false
			}
			r.q = q
			// Parameters after the weight are accept extensions, not media type
			// parameters.
			break
		}
		v, ok := unquote(val)
		if !ok {
			return mediaRange{}, false
		}
		r.params = append(r.params, [2]string{name, v})
	}
	return r, true
}

// parseQ reads a qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3("0")].
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for _, c := range s[2:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// unquote returns a token as is and a quoted-string without its quotes and escapes.
func unquote(v string) (string, bool) {
	if v == "" {
		return "", false
	}
	if v[0] != '"' {
		return v, isToken(v)
	}
	if len(v) < 2 || v[len(v)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	in := v[1 : len(v)-1]
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '\\' && i+1 < len(in):
			i++
			b.WriteByte(in[i])
		case c == '\\' || c == '"':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// splitQuoted splits s at sep outside quoted strings, dropping empty elements (RFC
// 9110 §5.6.1 allows them in lists).
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			if el := strings.TrimSpace(s[start:i]); el != "" {
				out = append(out, el)
			}
			start = i + 1
		}
	}
	if el := strings.TrimSpace(s[start:]); el != "" {
		out = append(out, el)
	}
	return out
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// produces is the media type an endpoint (by routeKey) answers with.
func produces(key string) (string, map[string]string) {
	if strings.HasPrefix(key, "GET /download/") {
		return mediaBinary, nil
	}
	return mediaJSON, map[string]string{"charset": "utf-8"}
}

// acceptable reports whether r's Accept admits what the endpoint produces.
func acceptable(r *http.Request, key string) bool {
	mt, params := produces(key)
	return acceptQuality(r.Header.Values("Accept"), mt, params) > 0
}
