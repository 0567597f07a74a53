package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// maxForm bounds the body of a console form.
const maxForm = 64 << 10

// readForm parses a posted form of at most maxForm bytes; on failure it
// answers (400 or 413) and returns false.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, "Form too large", "The form sent is larger than the console accepts (64 KiB).")
		} else {
			h.fail(w, r, http.StatusBadRequest, "Unreadable form", "The form could not be read; reload the page and try again.")
		}
		return false
	}
	return true
}

// change runs one workflow change on the request in the path and redirects
// to its page with the confirmation done, or renders the error.
func (h *Handler) change(w http.ResponseWriter, r *http.Request, done string, run func(ctx context.Context, id string) (store.Request, error)) {
	if !h.readForm(w, r) {
		return
	}
	id := r.PathValue("id")
	req, err := run(r.Context(), id)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	redirect(w, r, "/requests/"+req.ID, done)
}

// verify records that the requester's identity was verified, then queues the
// request for the workers.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "verified", func(ctx context.Context, id string) (store.Request, error) {
		method := strings.TrimSpace(r.PostFormValue("method"))
		if err := h.checkReason(audit.ActionRequestVerified, "verified by "+method); err != nil {
			return store.Request{}, err
		}
		req, err := h.dsarFor(r).Verify(ctx, id, method)
		if err != nil {
			return req, err
		}
		h.enqueue(r, req.ID)
		return req, nil
	})
}

// enqueue queues a verified request; a failure is logged (a worker queues
// every verified request when it starts), not shown as the action's failure.
func (h *Handler) enqueue(r *http.Request, id string) {
	if h.Enqueue == nil {
		return
	}
	if err := h.Enqueue(r.Context(), id); err != nil {
		h.Logger.Warn("console: request verified but not queued; a worker queues it on start", "request_id", id, "err", err)
	}
}

// extend applies the single extension the law allows, with the reason told
// to the person.
func (h *Handler) extend(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "extended", func(ctx context.Context, id string) (store.Request, error) {
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			return store.Request{}, fmt.Errorf("%w: an extension needs the reason told to the person", errInput)
		}
		if err := h.checkReason(audit.ActionRequestExtended, reason); err != nil {
			return store.Request{}, err
		}
		by := 0
		if s := strings.TrimSpace(r.PostFormValue("by")); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 366 {
				return store.Request{}, fmt.Errorf("%w: the extension is a whole number of months or days", errInput)
			}
			by = n
		}
		return h.dsarFor(r).Extend(ctx, id, by, reason)
	})
}

// deny ends the request with its legal basis.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "denied", func(ctx context.Context, id string) (store.Request, error) {
		return h.dsarFor(r).Deny(ctx, id, strings.TrimSpace(r.PostFormValue("reason")))
	})
}

// cancel withdraws a request that has not started.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "cancelled", func(ctx context.Context, id string) (store.Request, error) {
		return h.dsarFor(r).Cancel(ctx, id)
	})
}

// approve records a privacy officer's approval of an erasure (the workflow
// refuses the officer who filed it).
func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	if h.Approve == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "This installation has no approval step for erasures.")
		return
	}
	h.change(w, r, "approved", h.Approve)
}

// addNote adds a note to the request.
func (h *Handler) addNote(w http.ResponseWriter, r *http.Request) {
	if h.Notes == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "Notes are not available in this installation yet.")
		return
	}
	h.change(w, r, "noted", func(ctx context.Context, id string) (store.Request, error) {
		text := strings.TrimSpace(r.PostFormValue("text"))
		if text == "" {
			return store.Request{}, fmt.Errorf("%w: the note is empty", errInput)
		}
		if err := h.Notes.AddNote(ctx, id, text); err != nil {
			return store.Request{}, err
		}
		return store.Request{ID: id}, nil
	})
}

// assign changes who works the request.
func (h *Handler) assign(w http.ResponseWriter, r *http.Request) {
	if h.Notes == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "Assigning requests is not available in this installation yet.")
		return
	}
	h.change(w, r, "assigned", func(ctx context.Context, id string) (store.Request, error) {
		if err := h.Notes.Assign(ctx, id, strings.TrimSpace(r.PostFormValue("user_id"))); err != nil {
			return store.Request{}, err
		}
		return store.Request{ID: id}, nil
	})
}

// checkReason holds a free-text reason to the audit trail's rule (no personal
// data) before anything is written, so that the error names the field.
func (h *Handler) checkReason(action audit.Action, reason string) error {
	rec := audit.Record{Actor: "console", Action: action, Outcome: audit.OutcomeSuccess, Reason: reason}
	if err := h.DSAR.Chain.Validate(&rec); err != nil {
		return fmt.Errorf("%w: the text may not contain personal data such as names, email addresses or phone numbers (%w)", errInput, err)
	}
	return nil
}
