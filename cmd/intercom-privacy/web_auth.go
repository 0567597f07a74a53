package main

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/serve"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
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
