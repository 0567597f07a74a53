package auth

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// SafeNext returns raw if it is a path on this site to go to after
// sign-in ("/requests/req_1?tab=steps"), else "": never another host, a
// scheme, a protocol-relative "//host", a backslash or a control character,
// so the sign-in cannot be used as an open redirect.
func SafeNext(raw string) string {
	if len(raw) == 0 || len(raw) > 1024 || raw[0] != '/' || strings.HasPrefix(raw, "//") ||
		strings.ContainsAny(raw, "\\") || strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return raw
}

// withNext adds the next parameter to a path of the sign-in.
func withNext(path, next string) string {
	if next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// nextOf is where a completed sign-in goes: the next parameter carried
// through the steps, else AfterSignIn.
func (h *Handler) nextOf(next string) string {
	if n := SafeNext(next); n != "" {
		return n
	}
	return h.after
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin", page{Title: "Sign in", OIDC: h.oidc != nil, Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	next := SafeNext(r.PostFormValue("next"))
	p := page{Title: "Sign in", OIDC: h.oidc != nil, Next: next}
	if len(email) <= 254 {
		p.Email = email // the person's own input, shown back to them only
	}
	// Any session this browser held ends: a sign-in always starts afresh.
	if old := sessionSecret(r); old != "" {
		_ = h.users.SignOut(r.Context(), old)
	}
	st, err := h.users.SignIn(r.Context(), email, pw, h.clientAddr(r))
	if err != nil {
		h.failure(w, r, err, "signin", p)
		return
	}
	h.setSession(w, st)
	step := PathCode
	if st.Session.Stage == store.StageEnrol {
		step = PathEnrol
	}
	http.Redirect(w, r, withNext(step, next), http.StatusSeeOther)
}

func (h *Handler) codeForm(w http.ResponseWriter, r *http.Request) {
	if stage, err := h.users.Stage(r.Context(), sessionSecret(r)); err != nil || stage != store.StagePassword {
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "code", page{Title: "Second factor", Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) code(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	next := SafeNext(r.PostFormValue("next"))
	st, err := h.users.SecondFactor(r.Context(), sessionSecret(r), r.PostFormValue("code"), h.clientAddr(r))
	if err != nil {
		h.failure(w, r, err, "code", page{Title: "Second factor", Next: next})
		return
	}
	h.setSession(w, st)
	http.Redirect(w, r, h.nextOf(next), http.StatusSeeOther)
}

func (h *Handler) enrolForm(w http.ResponseWriter, r *http.Request) {
	en, err := h.users.BeginEnrolment(r.Context(), sessionSecret(r))
	if err != nil {
		h.failure(w, r, err, "enrol", page{Title: "Set up your second factor"})
		return
	}
	h.render(w, r, http.StatusOK, "enrol", page{Title: "Set up your second factor", Key: en.Key.Secret(), Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) enrolQR(w http.ResponseWriter, r *http.Request) {
	en, err := h.users.BeginEnrolment(r.Context(), sessionSecret(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	img, err := en.Key.Image(200, 200)
	if err != nil {
		h.fail(w, r, fmt.Errorf("auth: drawing the QR code: %w", err))
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		h.fail(w, r, fmt.Errorf("auth: encoding the QR code: %w", err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) enrol(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	next := SafeNext(r.PostFormValue("next"))
	p := page{Title: "Set up your second factor", Next: next}
	st, codes, err := h.users.ConfirmEnrolment(r.Context(), sessionSecret(r), r.PostFormValue("code"), h.clientAddr(r))
	if err != nil {
		if en, kerr := h.users.BeginEnrolment(r.Context(), sessionSecret(r)); kerr == nil {
			p.Key = en.Key.Secret()
		}
		h.failure(w, r, err, "enrol", p)
		return
	}
	h.setSession(w, st)
	h.render(w, r, http.StatusOK, "recovery", page{Title: "Recovery codes", Codes: codes, Next: h.nextOf(next)})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if err := h.users.SignOut(r.Context(), sessionSecret(r)); err != nil {
		h.fail(w, r, httpx.Explain(httpx.KindBusy, "Signing out failed", "Signing out failed; try again.", err))
		return
	}
	clearCookie(w, SessionCookie)
	http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
}

func (h *Handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, err := h.users.Authenticate(r.Context(), sessionSecret(r))
	if err != nil {
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	}
	if _, err := h.users.SignOutEverywhere(r.Context(), p); err != nil {
		h.fail(w, r, httpx.Explain(httpx.KindBusy, "Signing out failed", "Signing out failed; try again.", err))
		return
	}
	clearCookie(w, SessionCookie)
	h.render(w, r, http.StatusOK, "message", page{Title: "Signed out", Message: "Every session of your account has ended."})
}
