package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// usersPage is users.html: the accounts, and the form that adds one.
type usersPage struct {
	base
	Available bool
	Users     []users.User
	// Added is the account just added, with its one-time password (shown on
	// this answer only).
	Added   *addedUser
	Problem string
	Form    struct{ Email, Role string }
	Roles   []option
	// Me is the signed-in administrator's id (not offered to disable).
	Me string
}

type addedUser struct{ ID, Email, Password string }

func (h *Handler) newUsersPage(r *http.Request) (*usersPage, error) {
	p := &usersPage{base: h.base(r, "Users", routeUsers), Available: h.Users != nil, Me: principal(r).UserID}
	for _, role := range authz.Roles {
		p.Roles = append(p.Roles, option{string(role), roleName(role)})
	}
	if h.Users != nil {
		var err error
		if p.Users, err = h.Users.List(r.Context()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// usersPage lists the accounts.
func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.newUsersPage(r)
	if err != nil {
		h.failErr(w, r, usersError(err))
		return
	}
	render(h, w, r, http.StatusOK, h.views.users, p)
}

// addUser adds an account with a random password, shown once on this answer
// (no redirect: it is never kept to be shown again); the user enrols a second
// factor at the first sign-in.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request) {
	if h.Users == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "User management is not available in this installation.")
		return
	}
	if !h.readForm(w, r) {
		return
	}
	email, roleText := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	role, err := authz.ParseRole(roleText)
	if err != nil {
		err = httpx.Errorf(httpx.KindInvalid, "Choose a role from the list.")
	}
	var id, password string
	if err == nil {
		id, password, err = h.Users.Invite(r.Context(), email, role)
	}
	p, perr := h.newUsersPage(r)
	if perr != nil {
		h.failErr(w, r, usersError(perr))
		return
	}
	if err != nil {
		status, _, msg := classify(usersError(err))
		if status >= 500 {
			h.failErr(w, r, err)
			return
		}
		p.Problem = msg
		p.Form.Email, p.Form.Role = email, roleText
		render(h, w, r, status, h.views.users, p)
		return
	}
	p.Added = &addedUser{ID: id, Email: email, Password: password}
	p.Done = doneMessages["user"]
	render(h, w, r, http.StatusOK, h.views.users, p)
}

// disableUser disables an account: its sessions end and its tokens are
// revoked (the last active administrator is refused).
func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) {
	if h.Users == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "User management is not available in this installation.")
		return
	}
	if !h.readForm(w, r) {
		return
	}
	if err := h.Users.DisableID(r.Context(), r.PathValue("id")); err != nil {
		h.failErr(w, r, usersError(err))
		return
	}
	redirect(w, r, "/users", "disabled")
}

// usersError gives package users' errors their answer (their messages hold
// no email, password or secret).
func usersError(err error) error {
	for _, m := range []struct {
		err  error
		kind httpx.Kind
	}{
		{users.ErrInvalidEmail, httpx.KindInvalid},
		{users.ErrWeakPassword, httpx.KindInvalid},
		{users.ErrUserExists, httpx.KindConflict},
		{users.ErrDisabled, httpx.KindConflict},
		{users.ErrLastAdmin, httpx.KindConflict},
		{users.ErrNoUser, httpx.KindNotFound},
	} {
		if errors.Is(err, m.err) {
			return httpx.Errorf(m.kind, err.Error())
		}
	}
	return err
}
