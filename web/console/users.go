package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
)

// UserDirectory keeps the console's users; package users provides it.
type UserDirectory interface {
	ListUsers(ctx context.Context) ([]User, error)
	// AddUser creates a user with role; the user signs in with Setup (shown
	// once) and enrols a second factor at the first sign-in.
	AddUser(ctx context.Context, email string, role authz.Role) (NewUser, error)
	// DisableUser disables a user and ends their sessions and tokens.
	DisableUser(ctx context.Context, id string) error
}

// User is one account as the users page lists it.
type User struct {
	ID, Email  string
	Role       authz.Role
	Disabled   bool
	SecondStep bool
	Created    time.Time
	LastSeen   time.Time
}

// NewUser is a user just added, with the one-time secret they sign in with.
type NewUser struct {
	User
	Setup string
}

// usersPage is users.html.
type usersPage struct {
	base
	Available bool
	Users     []User
	Added     *NewUser
	Problem   string
	Form      struct{ Email, Role string }
	Roles     []option
}

func (h *Handler) newUsersPage(r *http.Request) (*usersPage, error) {
	p := &usersPage{base: h.base(r, "Users", routeUsers), Available: h.Users != nil}
	for _, role := range authz.Roles {
		p.Roles = append(p.Roles, option{string(role), roleName(role)})
	}
	if h.Users != nil {
		var err error
		if p.Users, err = h.Users.ListUsers(r.Context()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// usersPage lists the users.
func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.newUsersPage(r)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, http.StatusOK, h.views.users, p)
}

// addUser adds a user and shows their one-time secret on this answer only
// (no redirect: it is never stored to be shown again).
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request) {
	if h.Users == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "User management is not available in this installation yet.")
		return
	}
	if !h.readForm(w, r) {
		return
	}
	email, roleText := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	role, err := authz.ParseRole(roleText)
	var added NewUser
	if err == nil {
		added, err = h.Users.AddUser(r.Context(), email, role)
	}
	p, perr := h.newUsersPage(r)
	if perr != nil {
		h.failErr(w, r, perr)
		return
	}
	if err != nil {
		status, _, msg := classify(err)
		if role == "" {
			status, msg = http.StatusUnprocessableEntity, "Choose a role from the list."
		}
		if status == http.StatusInternalServerError {
			h.failErr(w, r, err)
			return
		}
		p.Problem = msg
		p.Form.Email, p.Form.Role = email, roleText
		render(h, w, r, status, h.views.users, p)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.Added = &added
	p.Done = doneMessages["user"]
	render(h, w, r, http.StatusOK, h.views.users, p)
}

// disableUser disables a user.
func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) {
	if h.Users == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "User management is not available in this installation yet.")
		return
	}
	if !h.readForm(w, r) {
		return
	}
	if err := h.Users.DisableUser(r.Context(), r.PathValue("id")); err != nil {
		h.failErr(w, r, err)
		return
	}
	redirect(w, r, "/users", "disabled")
}
