package dsar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Partial erasure by redaction.
//
// A conversation shared with other people is kept (deleting it would erase their
// data too), and deleting the person's contact leaves the messages they wrote in
// it. The redact_parts step, before the contacts are deleted, redacts the
// person's own messages in those conversations through POST /conversations/redact
// (the opening message through its source id), so Intercom replaces each body
// with "This message was deleted" and keeps the thread for the others.
//
// Like the deleting steps it fixes its targets first ("<conversation id>/<part
// id>" or "<conversation id>/source:<source id>"), recorded before the first
// redaction, and records each target as its redaction returns, so a resumed step
// redacts nothing twice. A redaction answering that the part is already redacted
// (Intercom's 400 on a second redaction) counts as done; a part Intercom refuses
// to redact (conversation_part_not_redactable for another reason: no body, not
// written by a contact) is recorded as such, with the others; a conversation or
// part gone meanwhile (404) is recorded as gone.

// redactProgress is the Detail of the redact_parts step.
type redactProgress struct {
	Planned bool     `json:"planned"`
	Targets []string `json:"targets"`
	Done    []string `json:"done"`
	// NotRedactable are targets Intercom refused to redact.
	NotRedactable []string `json:"not_redactable,omitempty"`
	// Held are targets in a conversation a legal hold placed since the plan
	// keeps as it is: not redacted.
	Held   []string         `json:"held,omitempty"`
	Counts map[string]int64 `json:"counts"`
}

// sourcePrefix marks a target that is a conversation's opening message.
const sourcePrefix = "source:"

// planRedactions finds, in the conversations of the person shared with other
// people, every message the person wrote that is not yet redacted.
func (r *runner) planRedactions(ctx context.Context) ([]string, error) {
	var shared deleteProgress
	if err := r.planConversations(ctx, &shared); err != nil {
		return nil, err
	}
	person := r.personContacts()
	mine := func(a intercom.Author) bool {
		switch a.Type {
		case "user", "lead", "contact":
			return person[string(a.ID)]
		}
		return false
	}
	// Shared conversations, and those kept under an exception that says to
	// redact; a conversation under a legal hold, or an exception that does not,
	// is kept as it is.
	ids := slices.Clone(shared.Kept)
	for _, k := range shared.Retained {
		if k.Redact {
			ids = append(ids, k.ID)
		}
	}
	convs := make([]intercom.Conversation, len(ids))
	if err := r.forEach(ctx, len(ids), func(ctx context.Context, i int) error {
		c, err := r.s.Intercom.GetConversation(ctx, ids[i], intercom.GetConversationOptions{})
		if errors.Is(err, intercom.ErrNotFound) {
			return nil // gone meanwhile: nothing to redact
		}
		convs[i] = c
		return err
	}); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range convs {
		if c.ID == "" {
			continue
		}
		if mine(c.Source.Author) && !bool(c.Source.Redacted) && c.Source.ID != "" {
			out = append(out, string(c.ID)+"/"+sourcePrefix+string(c.Source.ID))
		}
		for _, p := range c.ConversationParts.ConversationParts {
			if mine(p.Author) && !bool(p.Redacted) && p.Body != "" {
				out = append(out, string(c.ID)+"/"+string(p.ID))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// redactParts runs the redact_parts step (Config.Erasure.RedactShared).
func (r *runner) redactParts(ctx context.Context) error {
	if !r.s.config().Erasure.RedactShared {
		return r.recordStep(ctx, StepRedactParts, redactProgress{Counts: map[string]int64{}}, audit.Record{
			Action: audit.ActionErasureRedacted, Outcome: audit.OutcomeNoop,
			Reason: "redaction of the person's messages in shared conversations not configured"}, nil)
	}
	var p redactProgress
	if _, err := r.loadProgress(ctx, StepRedactParts, &p); err != nil {
		return err
	}
	if !p.Planned {
		targets, err := r.planRedactions(ctx)
		if err != nil {
			return err
		}
		p = redactProgress{Planned: true, Targets: targets, Done: []string{}, Counts: map[string]int64{"parts_planned": int64(len(targets))}}
		if err := r.saveProgress(ctx, StepRedactParts, p); err != nil {
			return err
		}
	}
	if p.Counts == nil {
		p.Counts = map[string]int64{}
	}
	// A hold placed on a conversation since the plan keeps it as it is.
	held, err := r.heldConversations(ctx, p)
	if err != nil {
		return err
	}
	for _, t := range p.Targets {
		if slices.Contains(p.Done, t) || slices.Contains(p.Held, t) {
			continue
		}
		convID, item, _ := strings.Cut(t, "/")
		if held[convID] {
			p.Held = append(p.Held, t)
			p.Counts["parts_kept_under_hold"]++
			if err := r.saveProgress(ctx, StepRedactParts, p); err != nil {
				return err
			}
			continue
		}
		var res intercom.RedactResult
		var err error
		if src, ok := strings.CutPrefix(item, sourcePrefix); ok {
			res, err = r.s.Intercom.RedactConversationSource(ctx, convID, src)
		} else {
			res, err = r.s.Intercom.RedactConversationPart(ctx, convID, item)
		}
		var ae *intercom.Error
		switch {
		case err == nil && res.AlreadyRedacted:
			p.Counts["parts_already_redacted"]++
		case err == nil:
			p.Counts["parts_redacted"]++
		case errors.Is(err, intercom.ErrNotFound):
			p.Counts["parts_gone"]++
		case errors.As(err, &ae) && ae.Code == "conversation_part_not_redactable":
			p.Counts["parts_not_redactable"]++
			p.NotRedactable = append(p.NotRedactable, t)
		default:
			return fmt.Errorf("redact conversation part %s: %w", t, err)
		}
		p.Done = append(p.Done, t)
		if err := r.saveProgress(ctx, StepRedactParts, p); err != nil {
			return err
		}
		r.progress(StepRedactParts, "object", len(p.Done), len(p.Targets))
	}
	outcome := audit.OutcomeSuccess
	switch {
	case len(p.Targets) == 0:
		outcome = audit.OutcomeNoop
	case len(p.NotRedactable) > 0:
		outcome = audit.OutcomePartial
	}
	ids := make([]string, 0, len(p.Done))
	for _, t := range p.Done {
		ids = append(ids, strings.ReplaceAll(t, "/", ":"))
	}
	return r.recordStep(ctx, StepRedactParts, p, audit.Record{Action: audit.ActionErasureRedacted, Outcome: outcome,
		Counts: p.Counts, ObjectIDs: capIDs(ids),
		Reason: "the person's messages in conversations shared with other people redacted in Intercom (the conversations are kept for the others)"}, nil)
}

// heldConversations returns the conversations of p's targets not yet done that
// an active legal hold now keeps.
func (r *runner) heldConversations(ctx context.Context, p redactProgress) (map[string]bool, error) {
	var ids []string
	for _, t := range p.Targets {
		if c, _, _ := strings.Cut(t, "/"); !slices.Contains(p.Done, t) && !slices.Contains(ids, c) {
			ids = append(ids, c)
		}
	}
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	hs, err := r.s.Store.ActiveObjectHolds(ctx, r.s.now(), store.ObjectConversation, ids...)
	for _, h := range hs {
		if h.Rule == "" { // an operator's hold; exceptions were applied by the plan
			out[h.ObjectID] = true
		}
	}
	return out, err
}
