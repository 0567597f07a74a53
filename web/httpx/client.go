package httpx

import (
	"context"
	"net"
	"net/http"
)

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the client address the authentication
// middleware (web/auth) worked out (the peer, or the address a trusted proxy
// forwarded), for the surfaces behind it that throttle by address.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the client address of r: the one WithClientAddr put in
// its context, else the connection's peer.
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
