// Package mailtest runs a real SMTP server in the test process (emersion's
// go-smtp server) and keeps what arrives, so tests of the outbox, the
// messages and the intake read the mail a person would receive, not a mock
// of the sender. It can require AUTH, offer STARTTLS or speak TLS from the
// first byte (smtps) with a certificate of its own, refuse a recipient for
// good (a bounce), and go down and come back on the same address.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// Username and Password, when set, are required (AUTH PLAIN) before MAIL.
	Username, Password string
	// StartTLS offers STARTTLS; the client must trust ClientTLS's roots.
	StartTLS bool
	// Implicit speaks TLS from the first byte (an smtps:// server).
	Implicit bool
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	// Data is the message as received (headers and body).
	Data []byte
	// Header is Data's header; MessageID its Message-ID without the brackets.
	Header    mail.Header
	MessageID string
	// Body is Data's body, undecoded.
	Body []byte
	// Text and HTML are the decoded text/plain and text/html parts.
	Text, HTML string
	// TLS reports whether the session was encrypted, Auth whether it
	// authenticated.
	TLS, Auth bool
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	srvTLS  *tls.Config
	roots   *x509.CertPool
	addr    string
	mu      sync.Mutex
	srv     *smtp.Server
	msgs    []Message
	reject  map[string]*smtp.SMTPError
	arrived chan struct{}
}

// Start starts a server on 127.0.0.1 (a free port) and stops it when the
// test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, reject: map[string]*smtp.SMTPError{}, arrived: make(chan struct{}, 1<<16)}
	s.srvTLS, s.roots = selfSigned(t)
	if err := s.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(addr string) error {
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = !s.opts.StartTLS && !s.opts.Implicit
	srv.MaxMessageBytes = 10 << 20
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	if s.opts.StartTLS || s.opts.Implicit {
		srv.TLSConfig = s.srvTLS
	}
	var l net.Listener
	var err error
	if s.opts.Implicit {
		l, err = tls.Listen("tcp", addr, s.srvTLS)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.srv, s.addr = srv, l.Addr().String()
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return nil
}

// Addr is host:port.
func (s *Server) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.addr }

// URL is an INTERCOM_PRIVACY_SMTP_URL for this server, sending from from.
func (s *Server) URL(from string) string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	if s.opts.Implicit {
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	q := url.Values{"from": {from}}
	if !s.opts.Implicit {
		q.Set("starttls", fmt.Sprint(s.opts.StartTLS))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ClientTLS is a client configuration that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// Stop closes the listener and every connection: the server is down until
// Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the address it had.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.listen(s.Addr()); err != nil {
		t.Fatal(err)
	}
}

// Reject makes RCPT TO rcpt fail with a permanent 550 5.1.1 (a mailbox
// that does not exist: a bounce).
func (s *Server) Reject(rcpt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[strings.ToLower(rcpt)] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
}

// Messages returns what arrived so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the messages once at least n arrived, failing the test after
// a minute.
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		if ms := s.Messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-s.arrived:
		case <-timeout.C:
			t.Fatalf("mailtest: %d message(s) arrived, want %d", len(s.Messages()), n)
		}
	}
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, tls: isTLS, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	auth bool
	from string
	to   []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != se.s.opts.Username || pass != se.s.opts.Password {
			return errors.New("invalid credentials")
		}
		se.auth = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.Username != "" && !se.auth {
		return errAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	rej := se.s.reject[strings.ToLower(to)]
	se.s.mu.Unlock()
	if rej != nil {
		return rej
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := se.conn.TLSConnectionState()
	m := Message{From: se.from, To: append([]string(nil), se.to...), Data: data, TLS: isTLS || se.tls, Auth: se.auth}
	if pm, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = pm.Header
		m.MessageID = strings.Trim(pm.Header.Get("Message-Id"), "<> ")
		m.Body, _ = io.ReadAll(pm.Body)
		m.Text, m.HTML = parts(pm.Header.Get("Content-Type"), pm.Header.Get("Content-Transfer-Encoding"), m.Body)
	}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, m)
	se.s.mu.Unlock()
	select {
	case se.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// parts decodes the text and HTML parts of a body of type ctype.
func parts(ctype, cte string, body []byte) (text, html string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return "", ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			b, _ := io.ReadAll(p)
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b)
			text, html = text+t, html+h
		}
	}
	var r io.Reader = bytes.NewReader(body)
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	switch mt {
	case "text/plain":
		return strings.ReplaceAll(string(b), "\r\n", "\n"), ""
	case "text/html":
		return "", string(b)
	}
	return "", ""
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}, pool
}
