package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/users"
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

// verify records that the requester's identity was verified; the request is
// then queued for the workers, or (an erasure filed through the console)
// waits for a privacy officer's approval.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "verified", func(ctx context.Context, id string) (store.Request, error) {
		method := strings.TrimSpace(r.PostFormValue("method"))
		if method == "" {
			return store.Request{}, fmt.Errorf("%w: say how the identity was verified", errInput)
		}
		if err := h.checkReason(audit.ActionRequestVerified, "verified by "+method); err != nil {
			return store.Request{}, err
		}
		req, err := h.DSAR.Verify(ctx, id, method)
		if err == nil && req.State == store.StateVerified {
			h.enqueue(r, req.ID)
		}
		return req, err
	})
}

// enqueue queues a verified request; a failure is logged (a worker queues
// every verified request when it starts), not shown as the action's failure.
func (h *Handler) enqueue(r *http.Request, id string) {
	if h.DSAR.Enqueue == nil {
		return
	}
	if err := h.DSAR.Enqueue(r.Context(), id); err != nil {
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
		return h.DSAR.Extend(ctx, id, by, reason)
	})
}

// deny ends the request with its legal basis.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "denied", func(ctx context.Context, id string) (store.Request, error) {
		return h.DSAR.Deny(ctx, id, strings.TrimSpace(r.PostFormValue("reason")))
	})
}

// cancel withdraws a request that has not started.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "cancelled", func(ctx context.Context, id string) (store.Request, error) {
		return h.DSAR.Cancel(ctx, id)
	})
}

// approve approves an erasure waiting for a second person (four eyes); the
// workflow refuses the one who filed it (403) and queues the request.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "approved", h.DSAR.Approve)
}

// reject sends an erasure waiting for approval back to received, with the
// reason in the audit trail.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "rejected", func(ctx context.Context, id string) (store.Request, error) {
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			return store.Request{}, fmt.Errorf("%w: say why the erasure is not approved", errInput)
		}
		return h.DSAR.Reject(ctx, id, reason)
	})
}

// addNote adds a note to the request (encrypted; its author is the user).
func (h *Handler) addNote(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "noted", func(ctx context.Context, id string) (store.Request, error) {
		if _, err := h.DSAR.AddNote(ctx, id, r.PostFormValue("text")); err != nil {
			return store.Request{}, err
		}
		return store.Request{ID: id}, nil
	})
}

// assign changes who works the request: a user id ("u_…" or "user:u_…"), or
// nobody when empty.
func (h *Handler) assign(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, "assigned", func(ctx context.Context, id string) (store.Request, error) {
		to := strings.TrimSpace(r.PostFormValue("user_id"))
		if to != "" && !strings.HasPrefix(to, "user:") {
			to = "user:" + to
		}
		if err := h.checkAssignee(ctx, to); err != nil {
			return store.Request{}, err
		}
		return h.DSAR.Assign(ctx, id, to)
	})
}

// checkAssignee refuses, before anything is written, an assignee who may not
// work requests: an account that does not exist or is disabled, or an
// auditor (who only reads). Without a users service any user id is taken,
// as the API does.
func (h *Handler) checkAssignee(ctx context.Context, to string) error {
	if to == "" || h.Users == nil {
		return nil
	}
	u, err := h.Users.Get(ctx, strings.TrimPrefix(to, "user:"))
	switch {
	case errors.Is(err, users.ErrNoUser):
		return fmt.Errorf("%w: there is no such account; choose someone from the list", errInput)
	case err != nil:
		return err
	case u.Disabled:
		return fmt.Errorf("%w: that account is disabled and cannot be assigned requests; choose an active user", errInput)
	case !slices.Contains(workers, u.Role):
		return fmt.Errorf("%w: %s only read requests and cannot be assigned one; choose an administrator, a privacy officer or an agent", errInput, roleName(u.Role)+"s")
	}
	return nil
}

// fillAssignees lists the assign form's choices: nobody, then every active
// account whose role works requests, by email; the current assignee is
// selected (and listed, marked, when no longer assignable).
func (h *Handler) fillAssignees(r *http.Request, n *notesView) error {
	if h.Users == nil {
		return nil
	}
	us, err := h.Users.List(r.Context())
	if err != nil {
		return err
	}
	n.Assignees = []assigneeOption{{Value: "", Label: "Nobody", Selected: n.Assignee == ""}}
	found := n.Assignee == ""
	for _, u := range us {
		actor := "user:" + u.ID
		label := u.Email + " (" + roleName(u.Role) + ")"
		if actor == n.Assignee {
			n.AssigneeName = label
		}
		if u.Disabled || !slices.Contains(workers, u.Role) {
			continue
		}
		n.Assignees = append(n.Assignees, assigneeOption{Value: u.ID, Label: label, Selected: actor == n.Assignee})
		found = found || actor == n.Assignee
	}
	if !found {
		n.Assignees = append(n.Assignees, assigneeOption{Value: strings.TrimPrefix(n.Assignee, "user:"),
			Label: cmpOr(n.AssigneeName, n.Assignee) + " (no longer assignable)", Selected: true})
	}
	return nil
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
