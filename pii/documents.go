package pii

// Identity documents and secrets with a published shape.

// idDocument emits the word t[i:j] (letters and digits, at least one
// digit) as a driver's licence or passport number when the matching cue
// ("driver's license", "DL", "passport", "Reisepass", ...) stands within
// the context window before it and its shape is one that US states or the
// covered countries issue: 6 to 15 characters, at least five of them
// digits, at most three letters. It reports whether it emitted.
func (s *scanner) idDocument(i, j int) bool {
	t := s.t
	w := t[i:j]
	if len(w) < 6 || len(w) > 15 {
		return false
	}
	digits, letters := 0, 0
	for _, c := range w {
		switch {
		case isDigit(c):
			digits++
		case isUpper(c):
			letters++
		default:
			return false
		}
	}
	passport := s.hasCtx(ctxPassport, i) && (!s.hasCtx(ctxDL, i) || s.ctx[ctxPassport] > s.ctx[ctxDL])
	if passport && (len(w) > 9 || digits == 0) || !passport && (digits < 5 || letters > 3) {
		return false
	}
	if j < len(t) && (isWordByte(t[j]) || t[j] == '@') || i > 0 && (isWordByte(t[i-1]) || t[i-1] == '-' || t[i-1] == '/' || t[i-1] == '.') {
		return false
	}
	dl, pp := s.ctx[ctxDL], s.ctx[ctxPassport]
	switch {
	case s.hasCtx(ctxPassport, i) && (!s.hasCtx(ctxDL, i) || pp > dl):
		if len(w) < 6 || len(w) > 9 {
			return false
		}
		s.emit(TypePassport, i, j, 0.8, "passport+context")
	case s.hasCtx(ctxDL, i):
		s.emit(TypeDriverLicense, i, j, 0.8, "dl+context")
	default:
		return false
	}
	return true
}

// documentDigits handles a run of digits (with '-' or ' ' groups) of 7 to
// 13 digits after a licence or passport cue: the all-digit licences of
// many US states ("123456789" New York, "1234-5678-9012" grouped) and the
// 9-digit US and UK passports.
func (s *scanner) documentDigits(start, end, nd int) bool {
	if nd < 7 || nd > 13 {
		return false
	}
	dl, pp := s.hasCtx(ctxDL, start), s.hasCtx(ctxPassport, start)
	switch {
	case pp && (!dl || s.ctx[ctxPassport] > s.ctx[ctxDL]):
		if nd != 9 {
			return false
		}
		s.emit(TypePassport, start, end, 0.8, "passport+context")
	case dl:
		s.emit(TypeDriverLicense, start, end, 0.8, "dl+context")
	default:
		return false
	}
	return true
}

func isHexString(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return len(b) > 0
}

// prefixSecret handles the prefix word t[i:j] of a secret with a
// published shape, as public secret-scanning rule sets document them:
//
//	sk-...          OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) keys
//	xai-...         xAI keys
//	glpat-...       GitLab personal access tokens
//	GOCSPX-...      Google OAuth client secrets
//	SG.x{22}.y{43}  SendGrid keys
//	pypi-...        PyPI upload tokens
//	key-x{32}       Mailgun keys
func (s *scanner) prefixSecret(i, j int) {
	t := s.t
	n := len(t)
	if j >= n || i > 0 && (isWordByte(t[i-1]) || t[i-1] == '-') {
		return
	}
	body := func(from, max int) int {
		e := from
		for e < n && e-from < max && (isAlnum(t[e]) || t[e] == '_' || t[e] == '-') {
			e++
		}
		return e
	}
	mixed := func(b []byte) bool {
		var lo, up, dg bool
		for _, c := range b {
			switch {
			case c >= 'a' && c <= 'z':
				lo = true
			case c >= 'A' && c <= 'Z':
				up = true
			case isDigit(c):
				dg = true
			}
		}
		return lo && up && dg || (lo || up) && dg && len(b) >= 32
	}
	ended := func(e int) bool { return e == n || !isWordByte(t[e]) && t[e] != '-' }
	w := t[i:j]
	switch {
	case (string(w) == "sk" || string(w) == "xai") && t[j] == '-':
		e := body(j+1, 400)
		if e-j-1 >= 32 && ended(e) && mixed(t[j+1:e]) {
			s.emit(TypeSecret, i, e, 0.95, "openai-anthropic-xai-prefix")
		}
	case string(w) == "glpat" && t[j] == '-':
		if e := body(j+1, 100); e-j-1 >= 20 && ended(e) {
			s.emit(TypeSecret, i, e, 0.95, "gitlab-pat")
		}
	case string(w) == "GOCSPX" && t[j] == '-':
		if e := body(j+1, 100); e-j-1 >= 24 && ended(e) {
			s.emit(TypeSecret, i, e, 0.95, "google-oauth-client-secret")
		}
	case string(w) == "SG" && t[j] == '.':
		e1 := body(j+1, 64)
		if e1-j-1 == 22 && e1 < n && t[e1] == '.' {
			if e2 := body(e1+1, 64); e2-e1-1 == 43 && ended(e2) {
				s.emit(TypeSecret, i, e2, 0.98, "sendgrid-key")
			}
		}
	case string(w) == "pypi" && t[j] == '-':
		if e := body(j+1, 400); e-j-1 >= 50 && ended(e) {
			s.emit(TypeSecret, i, e, 0.95, "pypi-token")
		}
	case string(w) == "key" && t[j] == '-':
		e := j + 1
		for e < n && e-j-1 < 40 && (isDigit(t[e]) || t[e] >= 'a' && t[e] <= 'z') {
			e++
		}
		if e-j-1 == 32 && ended(e) && mixed(t[j+1:e]) {
			s.emit(TypeSecret, i, e, 0.9, "mailgun-key")
		}
	}
}
