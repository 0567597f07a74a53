package intake

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// PathDownload is the prefix of the links to access packages.
const PathDownload = "/privacy/download"

const codeTTL = 15 * time.Minute

// Downloads makes the links to access packages put in completion messages
// (messages.Downloads): random, stored as a digest, expiring with the
// package, usable Uses times, each after a fresh code mailed to the address
// the request was verified with.
type Downloads struct {
	Vault     *vault.Vault
	PublicURL string
	// Uses is how many downloads a link allows (0: 3).
	Uses int
	Now  func() time.Time
}

func linkKey(id string) string { return "download:" + id }

func linkAAD(id string) vault.AAD {
	return vault.AAD{Table: "download_links", Column: "email_enc", Row: id}
}

// Link implements messages.Downloads.
func (d *Downloads) Link(ctx context.Context, tx store.Tx, r store.Request, email string) (messages.DownloadLink, bool, error) {
	now := time.Now().UTC()
	if d.Now != nil {
		now = d.Now().UTC()
	}
	blobs, err := tx.BlobsByRequest(ctx, r.ID)
	if err != nil {
		return messages.DownloadLink{}, false, err
	}
	var pkg store.Blob
	for _, b := range blobs {
		if b.Kind == store.BlobAccessPackage && b.ExpiresAt.After(now) && !b.CreatedAt.Before(pkg.CreatedAt) {
			pkg = b
		}
	}
	if pkg.ID == "" {
		return messages.DownloadLink{}, false, nil
	}
	token := NewToken()
	th, _ := ParseToken(token)
	id := store.NewID("dl_")
	enc, err := d.Vault.With(tx).Encrypt(ctx, linkKey(id), linkAAD(id), []byte(email))
	if err != nil {
		return messages.DownloadLink{}, false, err
	}
	uses := cmp.Or(d.Uses, 3)
	l, err := tx.CreateDownloadLink(ctx, store.DownloadLink{ID: id, RequestID: r.ID, BlobID: pkg.ID, TokenHash: th, EmailEnc: enc,
		MaxUses: uses, ExpiresAt: pkg.ExpiresAt, CreatedAt: now})
	if err != nil {
		return messages.DownloadLink{}, false, err
	}
	return messages.DownloadLink{URL: d.PublicURL + PathDownload + "/" + token, ExpiresAt: l.ExpiresAt, Uses: uses}, true, nil
}

func (h *Handler) downloadGone(w http.ResponseWriter, r *http.Request) {
	h.problem(w, r, httpx.KindNotFound, "This download link does not work",
		"The link has expired, was used as many times as it allows, or was copied incompletely. The copy of your data is deleted when its link expires; you can make a new request.")
}

// link finds the live link of the request's token, throttled per network
// address.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) (store.DownloadLink, string, bool) {
	if !h.verifyL.allow(r.Context(), clientKey(r), h.now()) {
		h.problem(w, r, httpx.KindThrottled, "Too many attempts", "Too many links or codes were tried from your network. Try again in an hour.")
		return store.DownloadLink{}, "", false
	}
	token := r.PathValue("token")
	th, err := ParseToken(token)
	if err != nil {
		h.downloadGone(w, r)
		return store.DownloadLink{}, "", false
	}
	l, err := h.o.Store.DownloadLinkByToken(r.Context(), th)
	if err != nil || !h.now().Before(l.ExpiresAt) || l.Uses >= l.MaxUses {
		h.downloadGone(w, r)
		return store.DownloadLink{}, "", false
	}
	return l, token, true
}

func (h *Handler) downloadPage(w http.ResponseWriter, r *http.Request, status int, token string, l store.DownloadLink, sent bool) {
	p := h.base("Download your personal data")
	p.Token, p.Sent, p.Due = token, sent, l.ExpiresAt.UTC().Format("2 January 2006")
	h.render(w, r, status, "download", p)
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	l, token, ok := h.link(w, r)
	if ok {
		h.downloadPage(w, r, http.StatusOK, token, l, false)
	}
}

// sendCode mails a fresh code for the link (at most 5 per link).
func (h *Handler) sendCode(w http.ResponseWriter, r *http.Request) {
	l, token, ok := h.link(w, r)
	if !ok {
		return
	}
	if l.CodesSent >= 5 {
		h.problem(w, r, httpx.KindThrottled, "Too many codes", "We already sent five codes for this link. Use the last one, or make a new request.")
		return
	}
	ctx := r.Context()
	plain, err := h.o.Vault.Decrypt(ctx, linkKey(l.ID), linkAAD(l.ID), l.EmailEnc)
	if err != nil {
		h.downloadGone(w, r)
		return
	}
	req, err := h.o.Store.GetRequest(ctx, l.RequestID)
	if err != nil {
		h.downloadGone(w, r)
		return
	}
	code := NewCode()
	j, _ := deadline.ParseJurisdiction(req.Jurisdiction)
	d, _, err := (&messages.Service{Config: h.o.Config}).Base(req)
	if err != nil {
		h.logger().Error("intake: download code", "error", errClass(err))
		h.problem(w, r, httpx.KindInternal, "Something went wrong", "Try again in a few minutes.")
		return
	}
	d.Code = code
	rendered, err := h.o.Templates.Render(messages.DownloadCode, j, h.o.Lang, d)
	if err != nil {
		h.logger().Error("intake: download code", "error", errClass(err))
		h.problem(w, r, httpx.KindInternal, "Something went wrong", "Try again in a few minutes.")
		return
	}
	next := l
	next.CodeHash, next.CodeExpiresAt, next.CodeAttempts, next.CodesSent = codeHash(l.ID, code), h.now().Add(codeTTL), 0, l.CodesSent+1
	err = h.o.Store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpdateDownloadLink(ctx, next); err != nil {
			return err
		}
		_, _, err := h.o.Outbox.Enqueue(ctx, tx, mail.Message{RequestID: l.RequestID, Kind: string(messages.DownloadCode),
			DedupKey: fmt.Sprintf("download/%s/code/%d", l.ID, next.CodesSent), To: string(plain),
			Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML})
		return err
	})
	if err != nil {
		if !errors.Is(err, store.ErrStateConflict) {
			h.logger().Error("intake: download code", "error", errClass(err))
		}
		h.problem(w, r, httpx.KindConflict, "Try again", "The link changed meanwhile (another tab?). Open it again.")
		return
	}
	if h.o.Kick != nil {
		h.o.Kick(ctx)
	}
	h.downloadPage(w, r, http.StatusOK, token, next, true)
}

// deliver checks the code and serves the package, counting a use first.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request) {
	l, _, ok := h.link(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var typed string
	if r.ContentLength <= maxForm {
		if b, err := io.ReadAll(io.LimitReader(r.Body, maxForm)); err == nil {
			if v, err := url.ParseQuery(string(b)); err == nil {
				typed = v.Get("code")
			}
		}
	}
	code, cerr := ParseCode(typed)
	valid := cerr == nil && l.CodeHash != nil && h.now().Before(l.CodeExpiresAt) && l.CodeAttempts < maxAttempts && sameHash(codeHash(l.ID, code), l.CodeHash)
	next := l
	if !valid {
		next.CodeAttempts++
		if next.CodeAttempts >= maxAttempts {
			next.CodeHash, next.CodeExpiresAt = nil, time.Time{}
		}
		if _, err := h.o.Store.UpdateDownloadLink(ctx, next); err != nil && !errors.Is(err, store.ErrStateConflict) {
			h.logger().Error("intake: a wrong download code could not be counted", "error", errClass(err))
		}
		h.problem(w, r, httpx.KindInvalid, "That code is not right",
			"The code is wrong, older than 15 minutes or already used. Open the link again and ask for a new code.")
		return
	}
	next.Uses, next.CodeHash, next.CodeExpiresAt, next.CodeAttempts = l.Uses+1, nil, time.Time{}, 0
	err := h.o.Store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpdateDownloadLink(ctx, next); err != nil {
			return err
		}
		if next.Uses >= next.MaxUses {
			// The last use: the address is no longer needed.
			if err := tx.ForgetDownloadAddress(ctx, l.ID); err != nil {
				return err
			}
			_, err := h.o.Vault.DestroyPersonKey(ctx, tx, linkKey(l.ID))
			return err
		}
		return nil
	})
	if err != nil {
		h.problem(w, r, httpx.KindConflict, "Try again", "The link changed meanwhile (another tab?). Open it again.")
		return
	}
	var buf bytes.Buffer
	_, err = h.o.DSAR.DeliverPackage(ctx, l.RequestID, &buf)
	switch {
	case errors.Is(err, dsar.ErrPackageExpired), errors.Is(err, dsar.ErrNoPackage):
		h.downloadGone(w, r)
		return
	case err != nil:
		h.logger().Error("intake: package delivery failed", "request_id", l.RequestID, "error", errClass(err))
		h.problem(w, r, httpx.KindInternal, "Something went wrong", "The download failed. Open the link again in a few minutes.")
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="personal-data-`+l.RequestID+`.zip"`)
	w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}
