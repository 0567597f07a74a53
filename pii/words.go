package pii

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// Keyword kinds.
const (
	kwCtx      = iota + 1 // sets a context (kw.ctx)
	kwPassword            // a password follows after ':', '=' or "is"
	kwPasse               // "passe" of "mot de passe"
	kwScheme              // a URL scheme when followed by "://"
	kwSlack               // xox?- Slack token prefix
	kwBearer              // "Bearer <token>"
	kwPrefix              // the prefix of a secret with a published shape ("sk-", "SG.", "GOCSPX-")
)

type kw struct {
	kind uint8
	ctx  uint8
	key  uint8 // 1 + the Type of a value under this word used as a key (keys.go); 0 none
	bare bool  // the key is the bare "name", whose value must look like a name
}

type kwSlot struct {
	w string
	k kw
}

// kwTable is an open-addressing hash table of the keywords, keyed by
// kwHash of the lower-case word; cheaper than a map on the hot path.
var kwTable [1024]kwSlot

func kwHash(h uint32) uint32 { return (h ^ h>>10) & (uint32(len(kwTable)) - 1) }

func kwInsert(w string, k kw) {
	var h uint32
	for i := 0; i < len(w); i++ {
		h = h*31 + uint32(w[i])
	}
	for p := kwHash(h); ; p = (p + 1) & (uint32(len(kwTable)) - 1) {
		if kwTable[p].w == "" || kwTable[p].w == w {
			kwTable[p] = kwSlot{w, k}
			return
		}
	}
}

// kwLen[c] has bit n set when some keyword starts with c and has n bytes.
var kwLen [256]uint32

// kw2[a&31][b&31] has bit n set when some keyword starts with the bytes a,
// b and has n bytes; a cheap filter before the table. Indexing by the low
// five bits folds ASCII case for free and keeps the table at 4 KiB, in the
// first-level cache; the bytes that share an index only let more words
// through to the next filter.
var kw2 [32][32]uint32

// kw2Bits returns the kw2 entry of a word starting with the bytes a, b.
func kw2Bits(a, b byte) uint32 { return kw2[a&31][b&31] }

// kw3 is a Bloom filter of the keywords' first three bytes (folded to
// lower case; 0 for the third of a two-byte keyword) and lengths. It
// rejects the ordinary words that pass kw2 ("status" for "steuer",
// "cache" for "carte", "retry" for "redis", "get" for "geb"), which would
// otherwise cost a table look-up each.
var kw3 [64]uint64

func kw3Bit(a, b, c byte, n int) uint32 {
	return uint32((uint64(a)|uint64(b)<<8|uint64(c)<<16|uint64(n)<<24)*0x9E3779B97F4A7C15>>(64-12)) & (64*64 - 1)
}

// kwMaybe is the keyword filters in one branch: whether a word of n bytes
// whose first three bytes, folded to lower case, are a, b and c (c is 0 for a
// two-byte word) passes kw2 and kw3. A one-byte word passes no kw2 entry.
func kwMaybe(a, b, c byte, n int) bool {
	h := kw3Bit(a, b, c, n)
	return uint64(kw2Bits(a, b))>>n&(kw3[h>>6]>>(h&63))&1 != 0
}

// kw3Maybe reports whether the word w (at least two bytes) may be a
// keyword, by kw3.
func kw3Maybe(w []byte) bool {
	var c byte
	if len(w) > 2 {
		c = lower(w[2])
	}
	b := kw3Bit(lower(w[0]), lower(w[1]), c, len(w))
	return kw3[b>>6]&(1<<(b&63)) != 0
}

func init() {
	add := func(k kw, words ...string) {
		for _, w := range words {
			kwInsert(w, k)
			kwLen[w[0]] |= 1 << len(w)
			kw2[w[0]&31][w[1]&31] |= 1 << len(w)
			var c byte
			if len(w) > 2 {
				c = w[2]
			}
			b := kw3Bit(w[0], w[1], c, len(w))
			kw3[b>>6] |= 1 << (b & 63)
			if c := w[0]; c >= 'a' && c <= 'z' {
				kwLen[c-32] |= 1 << len(w)
			}
		}
	}
	add(kw{kind: kwCtx, ctx: ctxDOB}, "dob", "birth", "born", "birthday", "birthdate", "geb", "geboren", "geburtsdatum",
		"geburtstag", "n\u00e9", "n\u00e9e", "naissance", "nacimiento", "nascita", "nato", "nata",
		"geboortedatum", "cumplea\u00f1os")
	add(kw{kind: kwCtx, ctx: ctxSSN}, "ssn", "social", "ss")
	add(kw{kind: kwCtx, ctx: ctxBSN}, "bsn", "burgerservicenummer", "sofinummer", "sofi")
	add(kw{kind: kwCtx, ctx: ctxPhone}, "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "whatsapp", "sms",
		"telefon", "telefonnummer", "handy", "mobil", "t\u00e9l\u00e9phone", "portable", "tel\u00e9fono",
		"telefono", "m\u00f3vil", "movil", "cellulare", "telefoon", "mobiel", "nummer", "numero",
		"n\u00famero", "rufnummer", "reach", "contact", "phonenumber", "number")
	add(kw{kind: kwCtx, ctx: ctxCard}, "card", "visa", "mastercard", "amex", "cc", "credit", "debit", "kreditkarte",
		"karte", "carte", "tarjeta", "carta", "kaart", "pan")
	add(kw{kind: kwCtx, ctx: ctxTax}, "steuer", "steuerid", "steuernummer", "steueridentifikationsnummer", "idnr", "tin",
		"tax", "identifikationsnummer")
	add(kw{kind: kwPassword}, "password", "passwort", "passwd", "pwd", "pass", "passcode", "passphrase", "pw",
		"contrase\u00f1a", "contrasena", "wachtwoord", "senha", "mdp", "kennwort")
	add(kw{kind: kwPasse}, "passe")
	add(kw{kind: kwScheme}, "http", "https", "ftp", "ftps", "sftp", "ws", "wss", "postgres", "postgresql",
		"mysql", "redis", "rediss", "amqp", "amqps", "mongodb", "smtp", "smtps", "ldap", "ldaps", "ssh")
	add(kw{kind: kwBearer}, "bearer")
	add(kw{kind: kwCtx, ctx: ctxDL}, "license", "licence", "dl", "driver", "drivers", "driving")
	add(kw{kind: kwCtx, ctx: ctxPassport}, "passport", "passeport", "reisepass", "pasaporte", "passaporto", "paspoort", "passaporte")
	add(kw{kind: kwPrefix}, "sk", "xai", "glpat", "gocspx", "sg", "pypi", "key")
	add(kw{kind: kwSlack}, "xoxb", "xoxp", "xoxa", "xoxo", "xoxs", "xoxr", "xoxe")
	// Sensitive keys: a word already in the table keeps its kind and gains
	// the key role.
	for typ, words := range keyTypes {
		for _, w := range words {
			var h uint32
			for i := 0; i < len(w); i++ {
				h = h*31 + uint32(w[i])
			}
			found := false
			for p := kwHash(h); kwTable[p].w != ""; p = (p + 1) & (uint32(len(kwTable)) - 1) {
				if kwTable[p].w == w {
					kwTable[p].k.key = uint8(typ) + 1
					kwTable[p].k.bare = w == "name"
					found = true
					break
				}
			}
			if !found {
				add(kw{key: uint8(typ) + 1, bare: w == "name"}, w)
			}
		}
	}
	for _, e := range kwTable {
		if e.w != "" && len(e.w) <= 16 {
			kwShortInsert(e.w, e.k)
		}
	}
}

// kwShort holds the keywords of at most 16 bytes, keyed by kwPack of
// their bytes; keyword looks a word up with two loads instead of a byte
// loop, a hash and a string comparison. Every slot it probes is either
// empty (n == 0) or one of them.
var kwShort [512]kwShortSlot

type kwShortSlot struct {
	lo, hi uint64
	n      uint8 // len of the keyword
	k      kw
}

func kwShortHash(lo, hi uint64) uint32 {
	return uint32((lo ^ hi*0xff51afd7ed558ccd) * 0x9E3779B97F4A7C15 >> (64 - 9))
}

// kwMask[n] keeps the first n bytes of a little-endian uint64 (n <= 8).
var kwMask = [9]uint64{0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff, ^uint64(0)}

// kwPack returns the bytes of b, a word of 1 to 16 bytes followed by at
// least 16-len(b) more, as two little-endian uint64s (zero past the
// word) with bit 5 set in every ASCII byte: that folds A-Z to lower case
// and leaves the other word bytes (a-z, digits, '_' -> 0x7f, bytes >=
// 0x80) distinct from one another, so two words, or a word and a
// keyword, pack alike exactly when they are equal folded by lower.
// (Bytes that are not word bytes may pack like word bytes: 0x7f like
// '_', '@' like '`'; keyword is only called on words.)
func kwPack(b []byte) (lo, hi uint64) {
	n := len(b)
	b = b[:16:cap(b)]
	lo = binary.LittleEndian.Uint64(b)
	hi = binary.LittleEndian.Uint64(b[8:])
	lo = (lo | (^lo&swarHigh)>>2) & kwMask[min(n, 8)]
	hi = (hi | (^hi&swarHigh)>>2) & kwMask[max(n, 8)-8]
	return lo, hi
}

func kwShortInsert(w string, k kw) {
	var b [16]byte
	copy(b[:], w)
	lo, hi := kwPack(b[:len(w)])
	for p := kwShortHash(lo, hi); ; p = (p + 1) & (uint32(len(kwShort)) - 1) {
		if kwShort[p].n == 0 {
			kwShort[p] = kwShortSlot{lo, hi, uint8(len(w)), k}
			return
		}
	}
}

// keyword looks the word t[i:j] up in the keyword table and acts on it.
func (s *scanner) keyword(i, j int) {
	t := s.t
	wl := j - i
	if wl < 2 || kw2Bits(t[i], t[i+1])&(1<<wl) == 0 {
		return
	}
	// kw3Maybe(t[i:j]), written out.
	var c2 byte
	if wl > 2 {
		c2 = lower(t[i+2])
	}
	if b := kw3Bit(lower(t[i]), lower(t[i+1]), c2, wl); kw3[b>>6]&(1<<(b&63)) == 0 {
		return
	}
	if i > 0 && t[i-1] == '[' {
		return // a redaction tag such as "[PASSWORD]" or "[PASSWORD:…]"
	}
	var k kw
	if wl <= 16 && i+16 <= len(t) {
		lo, hi := kwPack(t[i:j])
		for p := kwShortHash(lo, hi); ; p = (p + 1) & (uint32(len(kwShort)) - 1) {
			e := &kwShort[p]
			if e.lo == lo && e.hi == hi && int(e.n) == wl {
				k = e.k
				break
			}
			if e.n == 0 {
				return
			}
		}
	} else if k = kwFind(t[i:j]); k == (kw{}) {
		return
	}
	switch k.kind {
	case kwCtx:
		s.ctx[k.ctx] = j
	case kwPassword:
		s.password(j)
	case kwPasse:
		if i >= 7 && hasSuffixFold(t[:i], "mot de ") {
			s.password(j)
		}
	case kwScheme:
		if i >= s.urlUntil && j+3 <= len(t) && t[j] == ':' && t[j+1] == '/' && t[j+2] == '/' {
			s.url(i, j+3)
		}
	case kwBearer:
		s.bearer(j)
	case kwPrefix:
		s.prefixSecret(i, j)
	case kwSlack:
		if i >= s.slkUntil && j < len(t) && t[j] == '-' {
			e := j
			for e < len(t) && (isAlnum(t[e]) || t[e] == '-') && e-i < 256 {
				e++
			}
			s.slkUntil = e
			if e-i >= 20 && (e == len(t) || !isWordByte(t[e])) {
				s.emit(TypeSecret, i, e, 0.9, "slack-prefix")
			}
		}
	}
	if k.key != 0 {
		s.keyValue(i, j, Type(k.key-1), k.bare)
	}
}

// kwFind returns the keyword entry of w (at most 31 bytes), folded to
// lower case, from kwTable; the zero kw when it is none.
func kwFind(w []byte) kw {
	var buf [32]byte
	lw := buf[:len(w)]
	var h uint32
	for k, c := range w {
		c = lower(c)
		lw[k] = c
		h = h*31 + uint32(c)
	}
	for p := kwHash(h); ; p = (p + 1) & (uint32(len(kwTable)) - 1) {
		e := &kwTable[p]
		if e.w == "" {
			return kw{}
		}
		if e.w == string(lw) {
			return e.k
		}
	}
}

var passwordNegatives = map[string]bool{}

func init() {
	for _, w := range []string{"reset", "forgot", "forgotten", "change", "changed", "changes", "expired", "expires",
		"required", "incorrect", "wrong", "invalid", "updated", "update", "policy", "manager", "field", "hint",
		"strength", "weak", "strong", "too", "not", "is", "was", "missing", "empty", "null", "none", "nil",
		"undefined", "redacted", "hidden", "protected", "ok", "okay", "correct", "the", "a", "an", "my", "your",
		"their", "same", "different", "mismatch", "true", "false", "yes", "no", "set", "sent", "please", "length",
		"zur\u00fccksetzen", "vergessen", "falsch", "ge\u00e4ndert", "oubli\u00e9", "r\u00e9initialiser",
		"incorrect", "olvid\u00e9", "restablecer", "incorrecta", "dimenticata", "sbagliata", "vergeten", "onjuist",
		"abgelaufen", "expir\u00e9", "password", "passwort", "passwd", "pwd", "pass", "wachtwoord", "senha", "kennwort", "caducada", "scaduta", "verlopen", "erforderlich", "obligatoire", "requerida"} {
		passwordNegatives[w] = true
	}
}

// password looks for a value after a password keyword that ends at j:
// `password: v`, `password=v`, `"password":"v"`, `my password is v`.
func (s *scanner) password(j int) {
	t := s.t
	n := len(t)
	k := j
	if k < n && (t[k] == '"' || t[k] == '\'') {
		k++
	}
	for m := 0; m < 3 && k < n && (t[k] == ' ' || t[k] == '\t'); m++ {
		k++
	}
	sep := false
	if k < n && (t[k] == ':' || t[k] == '=') {
		k++
		sep = true
		if k < n && t[k] == '=' {
			k++
		}
	} else {
		we := k
		for we < n && we-k < 8 && (isLetter(t[we]) || t[we] >= 0x80) {
			we++
		}
		w := t[k:we]
		for _, v := range [...]string{"is", "ist", "est", "es", "\u00e8", "was", "lautet", "era", "e", "isch"} {
			if len(w) == len(v) && hasPrefixFold(w, v) {
				sep = true
				k = we
				if k < n && t[k] == ':' {
					k++
				}
				break
			}
		}
	}
	if !sep && (k == j || k >= n) {
		return
	}
	for m := 0; m < 3 && k < n && (t[k] == ' ' || t[k] == '\t'); m++ {
		k++
	}
	var quote byte
	if k < n && (t[k] == '"' || t[k] == '\'' || t[k] == '`') {
		quote = t[k]
		k++
	}
	start := k
	e := k
	for e < n && e-start < 128 {
		c := t[e]
		if quote != 0 {
			if c == quote || c == '\n' || c == '\r' {
				break
			}
		} else if isSpace(c) || c == '"' || c == '\'' || c == '<' || c == ',' || c == ';' {
			break
		}
		e++
	}
	e = runeBoundary(t, e)
	if quote == 0 {
		for e > start && (t[e-1] == '.' || t[e-1] == '?' || t[e-1] == ')' || t[e-1] == ':') {
			e--
		}
	}
	v := t[start:e]
	if len(v) < 4 || v[0] == '[' {
		return
	}
	if len(v) <= 24 {
		var buf [24]byte
		lv := buf[:len(v)]
		for i, c := range v {
			lv[i] = lower(c)
		}
		if passwordNegatives[string(lv)] {
			return
		}
	}
	if !sep && !passwordLike(v) {
		return // "password" followed by an ordinary word
	}
	s.emit(TypePassword, start, e, 0.7, "keyword")
}

// passwordLike reports whether v mixes at least two character classes
// (lower, upper, digit, symbol) and has at least six bytes.
func passwordLike(v []byte) bool {
	if len(v) < 6 {
		return false
	}
	var lo, up, dg, sy int
	for _, c := range v {
		switch {
		case c-'a' < 26:
			lo = 1
		case c-'A' < 26:
			up = 1
		case isDigit(c):
			dg = 1
		default:
			sy = 1
		}
	}
	return lo+up+dg+sy >= 2 && !(up == 1 && lo == 1 && dg+sy == 0)
}

// bearer matches the token of "Bearer <token>" (an Authorization header
// pasted into a log or a chat): at least 16 token68 characters.
func (s *scanner) bearer(j int) {
	t := s.t
	if j >= len(t) || t[j] != ' ' {
		return
	}
	k := j + 1
	e := k
	for e < len(t) && e-k < 4096 && (isB64URL(t[e]) || t[e] == '.' || t[e] == '~' || t[e] == '+' || t[e] == '/' || t[e] == '=') {
		e++
	}
	if e-k >= 16 && (e == len(t) || !isWordByte(t[e])) && t[k] != '[' {
		s.emit(TypeSecret, k, e, 0.85, "bearer")
	}
}

// runeBoundary moves e back to the start of a UTF-8 sequence if it falls
// inside one.
func runeBoundary(t []byte, e int) int {
	for m := 0; m < 3 && e < len(t) && e > 0 && t[e]&0xC0 == 0x80; m++ {
		e--
	}
	return e
}

var sensitiveParams = map[string]bool{}

func init() {
	for _, k := range []string{"token", "access_token", "refresh_token", "id_token", "code", "key", "api_key",
		"apikey", "api-key", "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
		"x-goog-signature", "x-goog-credential", "password", "passwd", "pwd", "pass", "secret", "client_secret",
		"session", "sessionid", "session_id", "auth", "authorization", "jwt", "otp", "reset_token",
		"private_token", "auth_token", "oauth_token", "oauth_verifier", "ticket", "sid", "state_token",
		"magic", "magic_token", "login_token", "invite_token", "token_hash"} {
		sensitiveParams[k] = true
	}
}

func urlByte(c byte) bool {
	return c > ' ' && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' && c != 0x7f
}

// url inspects a URL whose authority starts at a: userinfo and the values
// of sensitive query parameters become findings; scheme, host and path stay.
func (s *scanner) url(i, a int) {
	t := s.t
	n := len(t)
	end := a
	for end < n && end-i < 8192 && urlByte(t[end]) {
		end++
	}
	end = runeBoundary(t, end)
	s.urlUntil = end
	for end > a && (t[end-1] == '.' || t[end-1] == ',' || t[end-1] == ')' || t[end-1] == ';' || t[end-1] == ':' || t[end-1] == '!' || t[end-1] == '?') {
		end--
	}
	ae := a
	for ae < end && t[ae] != '/' && t[ae] != '?' && t[ae] != '#' {
		ae++
	}
	if at := bytes.LastIndexByte(t[a:ae], '@'); at > 0 {
		ui := t[a : a+at]
		ss := a
		if c := bytes.IndexByte(ui, ':'); c >= 0 {
			ss = a + c + 1
		}
		if ss < a+at && t[ss] != '[' {
			s.emit(TypeURLSecret, ss, a+at, 0.9, "url-userinfo")
		}
	}
	// Webhook URLs carry their secret in the path.
	host := t[a:ae]
	if hasSuffixFold(host, "hooks.slack.com") && ae+10 <= end && hasPrefixFold(t[ae:end], "/services/") {
		if ae+10 < end && t[ae+10] != '[' {
			s.emit(TypeURLSecret, ae+10, pathEnd(t, ae+10, end), 0.9, "webhook-path")
		}
	} else if (hasSuffixFold(host, "discord.com") || hasSuffixFold(host, "discordapp.com")) && hasPrefixFold(t[ae:end], "/api/webhooks/") {
		p := ae + len("/api/webhooks/")
		if p < end && t[p] != '[' {
			s.emit(TypeURLSecret, p, pathEnd(t, p, end), 0.9, "webhook-path")
		}
	}
	s.urlPathToken(ae, end)
	q := bytes.IndexByte(t[ae:end], '?')
	if q < 0 {
		return
	}
	p := ae + q + 1
	for p < end {
		if t[p] == '#' {
			break
		}
		ke := p
		for ke < end && t[ke] != '=' && t[ke] != '&' && t[ke] != ';' && t[ke] != '#' {
			ke++
		}
		if ke < end && t[ke] == '=' {
			vs := ke + 1
			ve := vs
			for ve < end && t[ve] != '&' && t[ve] != ';' && t[ve] != '#' {
				ve++
			}
			if ve > vs && t[vs] != '[' && ke-p < 32 {
				var buf [32]byte
				lk := buf[:ke-p]
				for m, c := range t[p:ke] {
					lk[m] = lower(c)
				}
				if sensitiveParams[string(lk)] {
					s.emit(TypeURLSecret, vs, ve, 0.9, "url-param")
				}
			}
			ke = ve
		}
		p = ke + 1
	}
}

// pathTokenSegments are path segments after which the next segment is a
// credential ("/reset/<token>", "/invite/<token>", "/magic-link/<token>").
var pathTokenSegments = map[string]bool{"reset": true, "reset-password": true, "password-reset": true,
	"reset_password": true, "verify": true, "verification": true, "confirm": true, "confirmation": true,
	"invite": true, "invitation": true, "invitations": true, "unsubscribe": true, "magic": true,
	"magic-link": true, "magic_link": true, "token": true, "tokens": true, "activate": true, "activation": true,
	"login": true, "sso": true, "auth": true, "share": true, "shared": true, "s": true, "api-key": true,
	"apikey": true, "key": true, "keys": true, "secret": true, "otp": true, "callback": true, "passwordless": true}

// urlPathToken emits the segment after a telling path segment when it is a
// credential: at least 16 characters of [A-Za-z0-9_.~-] with letters and
// digits.
func (s *scanner) urlPathToken(p, end int) {
	t := s.t
	for p < end && t[p] == '/' {
		ss := p + 1
		se := ss
		for se < end && t[se] != '/' && t[se] != '?' && t[se] != '#' {
			se++
		}
		if se < end && t[se] == '/' && se-ss <= 16 && se-ss > 0 {
			var buf [16]byte
			lw := buf[:se-ss]
			for m, c := range t[ss:se] {
				lw[m] = lower(c)
			}
			if pathTokenSegments[string(lw)] {
				vs := se + 1
				ve := vs
				var letters, digits bool
				for ve < end && t[ve] != '/' && t[ve] != '?' && t[ve] != '#' && (isAlnum(t[ve]) || t[ve] == '_' || t[ve] == '-' || t[ve] == '.' || t[ve] == '~') {
					if isDigit(t[ve]) {
						digits = true
					} else if isLetter(t[ve]) {
						letters = true
					}
					ve++
				}
				if ve-vs >= 16 && letters && digits && (ve == end || t[ve] == '/' || t[ve] == '?' || t[ve] == '#') && t[vs] != '[' {
					s.emit(TypeURLSecret, vs, ve, 0.85, "url-path-token")
				}
			}
		}
		p = se
	}
}

func pathEnd(t []byte, p, end int) int {
	for p < end && t[p] != '?' && t[p] != '#' {
		p++
	}
	return p
}

// token handles a word that starts with a letter and holds digits,
// upper-case letters or '_': secrets, IBAN, NINO, codice fiscale, NIE.
func (s *scanner) token(i, j int, f uint8) int {
	t := s.t
	w := t[i:j]
	wl := len(w)
	// Cheap exits for the common identifier shapes that cannot match.
	if f&(cDigit|cUpper) == 0 && wl < 40 {
		return j // snake_case words: no token prefix, no id
	}
	if f&(cDigit|cLower|cUnder) == 0 && wl != 2 && wl != 5 {
		return j // upper-case words such as INFO: only "AB 12 34 56 C" and BEGIN matter
	}
	switch {
	case wl >= 4 && w[0] == 'g' && w[1] == 'h' && w[3] == '_' && (w[2] == 'p' || w[2] == 'o' || w[2] == 'u' || w[2] == 's' || w[2] == 'r'):
		if wl == 40 && tokenCRC(w[4:]) {
			s.emit(TypeSecret, i, j, 0.99, "github-crc32")
		}
		return j
	case wl >= 40 && hasPrefixFold(w, "github_pat_") && w[0] == 'g':
		s.emit(TypeSecret, i, j, 0.9, "github-pat-format")
		return j
	case wl == 40 && string(w[:4]) == "npm_":
		if tokenCRC(w[4:]) {
			s.emit(TypeSecret, i, j, 0.99, "npm-crc32")
		}
		return j
	case wl >= 24 && (string(w[:8]) == "sk_live_" || string(w[:8]) == "rk_live_"):
		s.emit(TypeSecret, i, j, 0.95, "stripe-prefix")
		return j
	case wl >= 30 && string(w[:6]) == "whsec_":
		s.emit(TypeSecret, i, j, 0.95, "stripe-webhook-secret")
		return j
	case wl == 37 && string(w[:3]) == "hf_":
		s.emit(TypeSecret, i, j, 0.9, "huggingface-prefix")
		return j
	case wl == 38 && (string(w[:6]) == "shpat_" || string(w[:6]) == "shpss_" || string(w[:6]) == "shpca_" || string(w[:6]) == "shppa_") && isHexString(w[6:]):
		s.emit(TypeSecret, i, j, 0.95, "shopify-prefix")
		return j
	case wl == 71 && string(w[:7]) == "dop_v1_" && isHexString(w[7:]):
		s.emit(TypeSecret, i, j, 0.95, "digitalocean-prefix")
		return j
	case wl == 34 && w[0] == 'S' && w[1] == 'K' && isHexString(w[2:]):
		s.emit(TypeSecret, i, j, 0.85, "twilio-key")
		return j
	case wl == 4 && string(w) == "ya29" && j < len(t) && t[j] == '.':
		e := j + 1
		for e < len(t) && e-i < 4096 && (isB64URL(t[e]) || t[e] == '.') {
			e++
		}
		if e-j > 30 && (e == len(t) || !isWordByte(t[e])) {
			s.emit(TypeSecret, i, e, 0.95, "google-oauth-access-token")
			return e
		}
		return j
	case wl == 5 && isDigit(w[3]) && w[4] == 'Q' && j < len(t) && t[j] == '~':
		// Azure AD (Entra ID) client secret: "abc8Q~" and 31-34 more.
		e := j + 1
		for e < len(t) && e-j < 40 && (isAlnum(t[e]) || t[e] == '_' || t[e] == '~' || t[e] == '.' || t[e] == '-') {
			e++
		}
		if e-j-1 >= 31 && e-j-1 <= 34 {
			s.emit(TypeSecret, i, e, 0.9, "azure-client-secret")
			return e
		}
		return j
	case wl == 20 && (string(w[:4]) == "AKIA" || string(w[:4]) == "ASIA") && f&(cLower|cUnder) == 0:
		s.emit(TypeSecret, i, j, 0.9, "aws-key-id")
		return j
	case wl >= 4 && string(w[:4]) == "AIza":
		e := i
		for e < len(t) && (isAlnum(t[e]) || t[e] == '_' || t[e] == '-') && e-i < 64 {
			e++
		}
		if e-i == 39 {
			s.emit(TypeSecret, i, e, 0.9, "google-api-key")
			return e
		}
		return j
	case wl >= 3 && w[0] == 'e' && w[1] == 'y' && w[2] == 'J' && i >= s.jwtUntil:
		return s.jwt(i, j)
	case wl == 5 && string(w) == "BEGIN" && i >= 5 && string(t[i-5:i]) == "-----":
		return s.pem(i-5, j)
	}
	if f&(cDigit|cUpper) == cDigit|cUpper && f&cUnder == 0 && wl >= 6 && wl <= 15 && (s.hasCtx(ctxDL, i) || s.hasCtx(ctxPassport, i)) && s.idDocument(i, j) {
		return j
	}
	if f&cUpper == 0 {
		if f&cDigit != 0 && f&cUnder == 0 && (wl == 9 || wl == 16 || wl >= 15 && wl <= 34) {
			s.lowerIDs(i, j, f)
		}
		return j
	}
	if wl >= 4 && isUpper(w[0]) && isUpper(w[1]) && isDigit(w[2]) && isDigit(w[3]) && !underIDKey(t, i) && s.iban(i, j) {
		return j
	}
	switch wl {
	case 2:
		if isUpper(w[0]) && isUpper(w[1]) && j+2 < len(t) && t[j] == ' ' && isDigit(t[j+1]) {
			s.ninoGrouped(i, j)
		}
	case 9:
		if w[0] == 'X' || w[0] == 'Y' || w[0] == 'Z' {
			if esDNI(w) {
				s.emit(TypeESDNI, i, j, 0.9, "mod23")
				return j
			}
		}
		if ninoValid(w) {
			s.emit(TypeUKNINO, i, j, 0.8, "nino-format")
		}
	case 16:
		if itFiscalCode(w) {
			s.emit(TypeITFiscalCode, i, j, 0.95, "mod26")
		}
	}
	return j
}

// lowerIDs tries the identifiers that are usually upper case on a
// lower-case word: a compact IBAN, a NINO, a codice fiscale.
//
// A compact lower-case IBAN must hold a letter after 'f': a run of
// lower-case hex digits ("be71096123456769" of a trace id) is an
// identifier, and IBANs in the wild are upper-case or grouped. Nor is a
// value under an id-like key an IBAN.
func (s *scanner) lowerIDs(i, j int, f uint8) {
	// All three start with two letters (NINO prefix, surname consonants,
	// country code): most hex ids fail this before the copy.
	if j-i < 2 || !isLetter(s.t[i]) || !isLetter(s.t[i+1]) {
		return
	}
	var buf [34]byte
	u := buf[:j-i]
	for k, c := range s.t[i:j] {
		if c-'a' < 26 {
			c -= 32
		}
		u[k] = c
	}
	switch {
	case len(u) == 9 && ninoValid(u):
		s.emit(TypeUKNINO, i, j, 0.7, "nino-format")
	case len(u) == 16 && itFiscalCode(u):
		s.emit(TypeITFiscalCode, i, j, 0.9, "mod26")
	case f&cHexNot != 0 && isUpper(u[0]) && isUpper(u[1]) && isDigit(u[2]) && isDigit(u[3]) &&
		int(ibanLengths[uint16(u[0])<<8|uint16(u[1])]) == len(u) && ibanMod97(u) && !underIDKey(s.t, i):
		s.emit(TypeIBAN, i, j, 0.95, "mod97")
	}
}

// ninoValid applies the UK NINO format rules to 9 characters.
func ninoValid(w []byte) bool {
	if len(w) != 9 || !ninoPrefix(w[0], w[1]) {
		return false
	}
	for _, c := range w[2:8] {
		if !isDigit(c) {
			return false
		}
	}
	return w[8] >= 'A' && w[8] <= 'D'
}

func ninoPrefix(a, b byte) bool {
	if !isUpper(a) || !isUpper(b) {
		return false
	}
	switch a {
	case 'D', 'F', 'I', 'Q', 'U', 'V':
		return false
	}
	switch b {
	case 'D', 'F', 'I', 'O', 'Q', 'U', 'V':
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// ninoGrouped matches "AB 12 34 56 C".
func (s *scanner) ninoGrouped(i, j int) {
	t := s.t
	if len(t)-i < 13 {
		return
	}
	w := t[i : i+13]
	var b [9]byte
	b[0], b[1] = w[0], w[1]
	for g := 0; g < 3; g++ {
		p := 2 + g*3
		if w[p] != ' ' {
			return
		}
		b[2+g*2], b[3+g*2] = w[p+1], w[p+2]
	}
	if w[11] != ' ' {
		return
	}
	b[8] = w[12]
	if i+13 < len(t) && isWordByte(t[i+13]) {
		return
	}
	if ninoValid(b[:]) {
		s.emit(TypeUKNINO, i, i+13, 0.8, "nino-format")
	}
}

// iban matches a compact or 4-grouped IBAN starting at the word t[i:j].
func (s *scanner) iban(i, j int) bool {
	t := s.t
	L := int(ibanLengths[uint16(t[i])<<8|uint16(t[i+1])])
	if L == 0 {
		return false
	}
	var buf [40]byte
	if j-i == L {
		copy(buf[:], t[i:j])
		if ibanMod97(buf[:L]) {
			s.emit(TypeIBAN, i, j, 0.98, "mod97")
			return true
		}
		return false
	}
	if j-i != 4 {
		return false
	}
	nb := copy(buf[:], t[i:j])
	k := j
	for nb < L {
		if k+1 >= len(t) || t[k] != ' ' || !isAlnum(t[k+1]) {
			return false
		}
		e := k + 1
		for e < len(t) && isAlnum(t[e]) {
			e++
		}
		if e-k-1 > 4 || nb+e-k-1 > L {
			return false
		}
		for _, c := range t[k+1 : e] {
			if !isDigit(c) && !isUpper(c) {
				return false
			}
			buf[nb] = c
			nb++
		}
		k = e
	}
	if k < len(t) && isWordByte(t[k]) {
		return false
	}
	if ibanMod97(buf[:L]) {
		s.emit(TypeIBAN, i, k, 0.98, "mod97")
		return true
	}
	return false
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// jwt matches header.payload.signature where the header decodes to JSON
// with an "alg" member.
func (s *scanner) jwt(i, j int) int {
	t := s.t
	e := i
	dots := 0
	var d1 int
	for e < len(t) && e-i < 16384 && (isB64URL(t[e]) || t[e] == '.') {
		if t[e] == '.' {
			if dots == 0 {
				d1 = e
			}
			dots++
		}
		e++
	}
	s.jwtUntil = e
	for e > i && t[e-1] == '.' && dots > 2 {
		e--
		dots--
	}
	if dots != 2 || d1-i > 512 {
		return j
	}
	var hb [400]byte
	nb, err := base64.RawURLEncoding.Decode(hb[:], t[i:d1])
	if err != nil {
		return j
	}
	h := bytes.TrimSpace(hb[:nb])
	if len(h) < 2 || h[0] != '{' || !bytes.Contains(h, []byte(`"alg"`)) {
		return j
	}
	s.emit(TypeSecret, i, e, 0.95, "jwt-header")
	return e
}

// pem matches a PEM private key block whose "-----BEGIN" is at h; j is the
// end of the word "BEGIN".
func (s *scanner) pem(h, j int) int {
	t := s.t
	n := len(t)
	lim := min(n, j+64)
	c := bytes.Index(t[j:lim], []byte("-----"))
	if c < 0 {
		return j
	}
	label := t[j : j+c]
	if !hasSuffixFold(label, "private key") {
		return j
	}
	body := j + c + 5
	if s.pemEnd == -2 || s.pemEnd >= 0 && s.pemEnd < body {
		if x := bytes.Index(t[body:], []byte("-----END ")); x >= 0 {
			s.pemEnd = body + x
		} else {
			s.pemEnd = -1
		}
	}
	if s.pemEnd >= 0 {
		lim := min(n, s.pemEnd+80)
		if x := bytes.Index(t[s.pemEnd+9:lim], []byte("-----")); x >= 0 {
			end := s.pemEnd + 9 + x + 5
			s.emit(TypeSecret, h, end, 0.99, "pem-private-key")
			return end
		}
	}
	// No END line: redact the base64 body that follows.
	e := body
	for e < n && (isAlnum(t[e]) || t[e] == '+' || t[e] == '/' || t[e] == '=' || isSpace(t[e]) || t[e] == ':' || t[e] == ',') {
		e++
	}
	s.emit(TypeSecret, h, e, 0.9, "pem-private-key")
	return e
}

// v6Bytes marks the bytes an IPv6 address is written with: hex digits,
// ':' and '.' (a dotted quad at the end).
var v6Bytes = func() (v [256]bool) {
	for _, c := range "0123456789abcdefABCDEF:." {
		v[c] = true
	}
	return v
}()

// colon is 2 for ':' and 0 for any other byte (ipv6's "::" test).
var colon = [256]uint8{':': 2}

func isHex(c byte) bool { return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }

// ipv6 tries an IPv6 address that contains the hex word at i.
func (s *scanner) ipv6(i int) {
	t := s.t
	n := len(t)
	start := i
	// The scans note whether two ':' stand side by side ("::"): colon
	// has bit 1 set for ':', so a&b is 2 only for a pair.
	pair := uint8(0)
	next := colon[t[i]]
	for lo := max(i-45, 0); start > lo && v6Bytes[t[start-1]]; { // at most 44 bytes back
		c := colon[t[start-1]]
		pair |= c & next
		next = c
		start--
	}
	if start > 0 && isWordByte(t[start-1]) {
		s.ipv6Until = i + 1
		return
	}
	e := i
	w := t[:min(n, start+46)] // at most 46 bytes from start
	prev := uint8(0)
	if start < i {
		prev = colon[t[i-1]]
	}
	for e < len(w) && v6Bytes[w[e]] {
		c := colon[w[e]]
		pair |= prev & c
		prev = c
		e++
	}
	s.ipv6Until = e
	for e > start && t[e-1] == '.' {
		e--
	}
	if e < n && (isWordByte(t[e]) || t[e] == ':') {
		return
	}
	if e > start+1 && t[e-1] == ':' && t[e-2] != ':' {
		e--
	}
	// Without "::" an address has 8 groups (or 10 around a dotted quad):
	// 15 bytes at least. Shorter runs without one ("21:19:44", a time)
	// fail the shape test below whatever they hold.
	if e-start < 15 && pair == 0 {
		return
	}
	// Shape: hex groups of at most 4, at most one "::", 8 groups without it.
	groups, dc, hasDigit, dots := 0, 0, false, 0
	gl := 0
	for k := start; k < e; k++ {
		c := t[k]
		switch {
		case c == ':':
			if k+1 < e && t[k+1] == ':' {
				dc++
				k++
			}
			if gl > 0 {
				groups++
			}
			gl = 0
		case c == '.':
			dots++
			gl = 0
		default:
			if isDigit(c) {
				hasDigit = true
			}
			gl++
			if gl > 4 {
				return
			}
		}
	}
	if gl > 0 {
		groups++
	}
	if dc > 1 || !hasDigit || dc == 0 && groups != 8 && !(dots == 3 && groups == 10) || groups > 10 {
		return
	}
	addr, err := netip.ParseAddr(string(t[start:e]))
	if err != nil || !addr.Is6() {
		return
	}
	if !s.e.privateIPs && !publicAddr(addr) {
		return
	}
	s.emit(TypeIPv6, start, e, 0.9, "netip")
}

// emails finds e-mail addresses anchored on '@' (and on the HTML escapes
// "&#64;" and "&#x40;").
func (s *scanner) emails() {
	if !s.e.on[TypeEmail] {
		return
	}
	t := s.t
	// Which of the three bytes the text holds (one AVX2 pass), so that
	// the look-ups for the others are skipped.
	has := s.eb
	if has == ebUnknown {
		has = ebAt | ebAmp | ebPct
		if s.vecPasses {
			has = emailBytes(t, s.goClass)
		}
	}
	if has == 0 {
		return
	}
	for off := 0; off < len(t) && has&ebAt != 0; {
		k := bytes.IndexByte(t[off:], '@')
		if k < 0 {
			break
		}
		p := off + k
		off = p + 1
		s.email(p, p+1)
	}
	for off := 0; off < len(t) && has&ebAmp != 0; {
		k := bytes.IndexByte(t[off:], '&')
		if k < 0 {
			break
		}
		p := off + k
		off = p + 1
		if p+5 <= len(t) && string(t[p:p+5]) == "&#64;" {
			s.email(p, p+5)
		} else if p+6 <= len(t) && (string(t[p:p+6]) == "&#x40;" || string(t[p:p+6]) == "&#X40;") {
			s.email(p, p+6)
		}
	}
	// Percent-encoded (a query string or a mailto: link): "jane%40example.com".
	for off := 0; off < len(t) && has&ebPct != 0; {
		k := bytes.IndexByte(t[off:], '%')
		if k < 0 {
			break
		}
		p := off + k
		off = p + 1
		if p+3 <= len(t) && t[p+1] == '4' && t[p+2] == '0' {
			s.email(p, p+3)
		}
	}
}

// email validates the address around the '@' (or its escape) at t[p:q].
func (s *scanner) email(p, q int) {
	t := s.t
	n := len(t)
	ls := p
	for ls > 0 && p-ls < 64 && class[t[ls-1]]&cLocal != 0 {
		ls--
	}
	if ls > 0 && class[t[ls-1]]&cLocal != 0 {
		return // local part too long
	}
	for ls < p && (t[ls] == '.' || t[ls] == '\'' || t[ls] == '-' || t[ls] == '+' || t[ls] == '%') {
		ls++
	}
	if ls == p || t[p-1] == '.' {
		return
	}
	de := q
	for de < n && de-q <= 253 && class[t[de]]&cDomain != 0 {
		de++
	}
	for de > q && (t[de-1] == '.' || t[de-1] == '-') {
		de--
	}
	if de < n && (isWordByte(t[de]) || t[de] == '@') {
		return
	}
	// Domain labels: at least two, each 1..63 bytes, no edge hyphens, an
	// alphabetic TLD of 2..24 letters.
	dom := t[q:de]
	labels, ll, tldAlpha := 0, 0, true
	for k := 0; k <= len(dom); k++ {
		if k == len(dom) || dom[k] == '.' {
			if ll == 0 || ll > 63 || dom[k-ll] == '-' || dom[k-1] == '-' {
				return
			}
			labels++
			tldAlpha = true
			for _, c := range dom[k-ll : k] {
				if !isLetter(c) {
					tldAlpha = false
				}
			}
			ll = 0
			continue
		}
		ll++
	}
	tld := len(dom) - bytes.LastIndexByte(dom, '.') - 1
	if labels < 2 || !tldAlpha || tld < 2 || tld > 24 {
		return
	}
	// git@host:path (scp-style remotes) are not addresses.
	if de+1 < n && t[de] == ':' && !isSpace(t[de+1]) {
		return
	}
	if ls > 0 && (t[ls-1] == ':' || t[ls-1] == '/') {
		// userinfo of a URL ("https://user@host")? An address in the
		// path ("https://host/users/jane@example.com/") is one.
		for b := ls - 1; b >= 2 && ls-b < 256 && !isSpace(t[b]); b-- {
			if t[b] == '/' && t[b-1] == '/' && t[b-2] == ':' {
				return
			}
			if t[b] == '/' && b < ls-1 {
				break
			}
		}
	}
	if ls > 0 && t[ls-1] == '<' && de < n && t[de] == '>' {
		lo := max(0, ls-48)
		if bytes.Contains(bytes.ToLower(t[lo:ls]), []byte("message-id")) ||
			bytes.Contains(bytes.ToLower(t[lo:ls]), []byte("in-reply-to")) ||
			bytes.Contains(bytes.ToLower(t[lo:ls]), []byte("references")) {
			return
		}
	}
	s.emit(TypeEmail, ls, de, 0.9, "email-syntax")
}
