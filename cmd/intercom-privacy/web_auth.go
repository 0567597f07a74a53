package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/serve"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
	"github.com/intercom-privacy/intercom-privacy/web/console"
)

// The sign-in (web/auth) is built once per open application and shared by
// the web surfaces: its pages under /auth/, and its Authenticate middleware in
// front of the API and the console.
func init() { authenticator = authMiddleware }

// authHandlers holds the web/auth handler of each open application.
var authHandlers sync.Map // *app.App -> *auth.Handler

// authHandlerFor returns the web/auth handler of a, building it the first
// time from the configuration's auth section. An OIDC section whose client
// secret variable is empty stops serve with the variable's name.
func authHandlerFor(a *app.App) (*auth.Handler, error) {
	if h, ok := authHandlers.Load(a); ok {
		return h.(*auth.Handler), nil
	}
	cfg := a.Config.Auth
	secret := ""
	if cfg.OIDC.Enabled() {
		if secret = cfg.OIDC.ClientSecret(); secret == "" {
			return nil, fmt.Errorf("auth.oidc.client_secret_env names %s, which is not set: set it to the OIDC client's secret", cfg.OIDC.ClientSecretEnv)
		}
	}
	h, err := auth.New(auth.Options{Users: a.Users, Config: cfg, OIDCClientSecret: secret, Logger: a.Logger, Now: a.Settings.Now})
	if err != nil {
		return nil, err
	}
	actual, _ := authHandlers.LoadOrStore(a, h)
	return actual.(*auth.Handler), nil
}

func authMiddleware(a *app.App) (func(http.Handler) http.Handler, error) {
	h, err := authHandlerFor(a)
	if err != nil {
		return nil, err
	}
	return h.Authenticate, nil
}

// authMount serves the sign-in pages under /auth/.
func authMount() serve.Mount {
	return serve.Mount{Pattern: "/auth/", Build: func(a *app.App) (http.Handler, error) {
		h, err := authHandlerFor(a)
		if err != nil {
			return nil, err
		}
		return h.Handler(), nil
	}}
}

// userDirectory is the console's users page on package users: the admin acts
// through the request's context, so the audit records name them.
type userDirectory struct{ s *users.Service }

func (d userDirectory) ListUsers(ctx context.Context) ([]console.User, error) {
	us, err := d.s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.User, len(us))
	for i, u := range us {
		out[i] = console.User{ID: u.ID, Email: u.Email, Role: u.Role, Disabled: u.Disabled, SecondStep: u.Enrolled,
			Created: u.CreatedAt, LastSeen: u.LastSeen}
	}
	return out, nil
}

func (d userDirectory) AddUser(ctx context.Context, email string, role authz.Role) (console.NewUser, error) {
	id, password, err := d.s.Invite(ctx, email, role)
	if err != nil {
		return console.NewUser{}, err
	}
	u, err := d.s.Get(ctx, id)
	if err != nil {
		return console.NewUser{}, err
	}
	return console.NewUser{User: console.User{ID: u.ID, Email: u.Email, Role: u.Role, Created: u.CreatedAt}, Setup: password}, nil
}

func (d userDirectory) DisableUser(ctx context.Context, id string) error {
	return d.s.DisableID(ctx, id)
}
