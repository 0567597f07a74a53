package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// accountPage is account.html: the signed-in person's own password change.
type accountPage struct {
	base
	Available bool
	// Problem is why the last change was refused (never a password).
	Problem string
	MinLen  int
}

func (h *Handler) newAccountPage(r *http.Request) *accountPage {
	return &accountPage{base: h.base(r, "Change your password", routePassword), Available: h.Users != nil, MinLen: users.MinPasswordLen}
}

// accountForm shows the password change form.
func (h *Handler) accountForm(w http.ResponseWriter, r *http.Request) {
	render(h, w, r, http.StatusOK, h.views.account, h.newAccountPage(r))
}

// changePassword changes the signed-in person's password (users.ChangePassword:
// the current one checked and throttled like a sign-in, the policy of users,
// every other session ended, audited), then shows the form again with a
// confirmation. A refusal shows the form with the reason (422, or 429 with
// Retry-After when throttled); a client asking for JSON gets a problem.
// Nothing typed is shown back.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	if h.Users == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "Accounts are not managed by this installation.")
		return
	}
	if !h.readForm(w, r) {
		return
	}
	in := users.PasswordChange{Current: r.PostFormValue("current"), New: r.PostFormValue("new"), Confirm: r.PostFormValue("confirm"),
		Addr: httpx.ClientAddr(r)}
	if _, err := h.Users.ChangePassword(r.Context(), principal(r), in); err != nil {
		var te *users.ThrottledError
		switch {
		case errors.As(err, &te):
			mins := max(int(te.RetryAfter.Round(time.Minute)/time.Minute), 1)
			err = httpx.Explain(httpx.KindOf(err), "Change your password", fmt.Sprintf("Too many wrong passwords. Try again in %d minutes.", mins), err)
		case errors.Is(err, users.ErrWrongPassword):
			err = httpx.Explain(httpx.KindOf(err), "Change your password", "The current password is not right; nothing was changed.", err)
		case errors.Is(err, users.ErrWeakPassword):
			err = httpx.Explain(httpx.KindOf(err), "Change your password", "The new "+strings.TrimPrefix(err.Error(), "users: the ")+".", err)
		}
		httpx.Respond(w, r, h.Logger, err, func(w http.ResponseWriter, r *http.Request, status int, _, msg string) {
			p := h.newAccountPage(r)
			p.Problem = msg
			render(h, w, r, status, h.views.account, p)
		})
		return
	}
	redirect(w, r, "/account/password", "password_changed")
}
