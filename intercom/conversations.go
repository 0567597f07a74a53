package intercom

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

type conversationList struct {
	Conversations []Conversation `json:"conversations"`
	Pages         pages          `json:"pages"`
}

// SearchConversations walks the conversations matching q (for example
// Field("contact_ids").Eq(contactID)). Search results carry no conversation parts;
// use GetConversation for them.
func (c *Client) SearchConversations(ctx context.Context, q Query, opts SearchOptions) iter.Seq2[Conversation, error] {
	return searchPages(ctx, c, "/conversations/search", q, opts, DefaultPerPage,
		extractor(func(e *conversationList) []Conversation { return e.Conversations }, func(e *conversationList) pages { return e.Pages }))
}

// GetConversationOptions tunes GetConversation.
type GetConversationOptions struct {
	// Plaintext asks for bodies as plain text instead of HTML (display_as=plaintext).
	Plaintext bool
}

// GetConversation retrieves a conversation with its parts (at most the 500 most
// recent; ConversationParts.TotalCount tells how many there are).
func (c *Client) GetConversation(ctx context.Context, id string, opts GetConversationOptions) (Conversation, error) {
	var cv Conversation
	if err := needID("conversation id", id); err != nil {
		return cv, err
	}
	cl := &call{method: "GET", path: "/conversations/" + seg(id), op: "/conversations/{conversation_id}", idempotent: true}
	if opts.Plaintext {
		cl.query = url.Values{"display_as": {"plaintext"}}
	}
	err := c.do(ctx, cl, &cv)
	return cv, err
}

// DeleteConversationOptions tunes DeleteConversation.
type DeleteConversationOptions struct {
	// RetainMetrics, when set to false, also purges the conversation's reporting data
	// (needs the OAuth scope delete_conversations_and_metrics). Nil leaves Intercom's
	// default (true). API 2.16.
	RetainMetrics *bool
}

// DeleteConversation permanently deletes a conversation.
func (c *Client) DeleteConversation(ctx context.Context, id string, opts DeleteConversationOptions) (Deleted, error) {
	var d Deleted
	if err := needID("conversation id", id); err != nil {
		return d, err
	}
	cl := &call{method: "DELETE", path: "/conversations/" + seg(id), op: "/conversations/{conversation_id}", idempotent: true}
	if opts.RetainMetrics != nil {
		cl.query = url.Values{"retain_metrics": {strconv.FormatBool(*opts.RetainMetrics)}}
	}
	err := c.do(ctx, cl, &d)
	return d, err
}

// RedactConversationPart replaces the body of a conversation part with Intercom's
// "This message was deleted". A part already redacted answers 400 at Intercom; that
// is reported as success with AlreadyRedacted set. It is never retried after the
// request may have reached Intercom (ErrUnknownOutcome); since a repeat is harmless
// (it answers AlreadyRedacted), callers may simply call it again.
func (c *Client) RedactConversationPart(ctx context.Context, conversationID, partID string) (RedactResult, error) {
	if err := needID("conversation id", conversationID); err != nil {
		return RedactResult{}, err
	}
	if err := needID("conversation part id", partID); err != nil {
		return RedactResult{}, err
	}
	return c.redact(ctx, conversationID, partID, false, struct {
		Type           string `json:"type"`
		ConversationID string `json:"conversation_id"`
		PartID         string `json:"conversation_part_id"`
	}{"conversation_part", conversationID, partID})
}

// RedactConversationSource redacts the message that started a conversation (it must
// have been written by a contact). See RedactConversationPart.
func (c *Client) RedactConversationSource(ctx context.Context, conversationID, sourceID string) (RedactResult, error) {
	if err := needID("conversation id", conversationID); err != nil {
		return RedactResult{}, err
	}
	if err := needID("source id", sourceID); err != nil {
		return RedactResult{}, err
	}
	return c.redact(ctx, conversationID, sourceID, true, struct {
		Type           string `json:"type"`
		ConversationID string `json:"conversation_id"`
		SourceID       string `json:"source_id"`
	}{"source", conversationID, sourceID})
}

func (c *Client) redact(ctx context.Context, conversationID, itemID string, source bool, body any) (RedactResult, error) {
	var cv Conversation
	err := c.do(ctx, &call{method: "POST", path: "/conversations/redact", body: body}, &cv)
	if err == nil {
		return RedactResult{Conversation: &cv}, nil
	}
	var ae *Error
	if !errors.As(err, &ae) || !maybeAlreadyRedacted(ae) {
		return RedactResult{}, err
	}
	if strings.Contains(strings.ToLower(ae.Message), "already") {
		return RedactResult{AlreadyRedacted: true}, nil
	}
	// Intercom documents only the status of a second redaction (400), so look at
	// the item itself before calling it done.
	got, gerr := c.GetConversation(ctx, conversationID, GetConversationOptions{})
	if gerr != nil {
		return RedactResult{}, err
	}
	if source {
		if string(got.Source.ID) == itemID && bool(got.Source.Redacted) {
			return RedactResult{AlreadyRedacted: true, Conversation: &got}, nil
		}
		return RedactResult{}, err
	}
	for _, p := range got.ConversationParts.ConversationParts {
		if string(p.ID) == itemID && bool(p.Redacted) {
			return RedactResult{AlreadyRedacted: true, Conversation: &got}, nil
		}
	}
	return RedactResult{}, err
}

// maybeAlreadyRedacted reports whether a 400 from the redact endpoint may mean the
// item was redacted before (parameter and version errors cannot).
func maybeAlreadyRedacted(e *Error) bool {
	if e.Status != 400 {
		return false
	}
	switch {
	case e.Code == "intercom_version_invalid",
		strings.HasPrefix(e.Code, "parameter_"),
		e.Code == "type_mismatch", e.Code == "data_invalid":
		return false
	}
	return true
}

// CountConversations returns how many conversations match q (the total_count of the
// first page of a one-result search): one request, to show the progress of a walk.
func (c *Client) CountConversations(ctx context.Context, q Query) (int, error) {
	if err := ValidateQuery(q); err != nil {
		return 0, err
	}
	var env struct {
		TotalCount Int `json:"total_count"`
	}
	body := searchBody{Query: q, Pagination: searchPagination{PerPage: 1}}
	err := c.do(ctx, &call{method: "POST", path: "/conversations/search", body: body, idempotent: true}, &env)
	return int(env.TotalCount), err
}

// MaxNoteLen caps the body of a note AddAdminNote sends.
const MaxNoteLen = 10000

// AddAdminNote posts an internal note (seen by teammates only, never by the
// customer) on a conversation, written by the admin adminID. body is HTML (Intercom
// accepts some formatting in notes). Posting is not idempotent: the request is sent
// once, and a failure after it may have reached Intercom is ErrUnknownOutcome
// (a retry could post the note twice).
func (c *Client) AddAdminNote(ctx context.Context, conversationID, adminID, body string) (Conversation, error) {
	return c.adminReply(ctx, "note", "a note", conversationID, adminID, body)
}

// adminReply posts a reply of messageType ("note" or "comment") as the
// teammate adminID, once (see AddAdminNote). what names it in errors.
func (c *Client) adminReply(ctx context.Context, messageType, what, conversationID, adminID, body string) (Conversation, error) {
	var cv Conversation
	if err := needID("conversation id", conversationID); err != nil {
		return cv, err
	}
	if err := needID("admin id", adminID); err != nil {
		return cv, err
	}
	if body == "" || len(body) > MaxNoteLen {
		return cv, fmt.Errorf("%w: %s body must hold 1 to %d bytes", ErrValidation, what, MaxNoteLen)
	}
	req := struct {
		MessageType string `json:"message_type"`
		Type        string `json:"type"`
		AdminID     string `json:"admin_id"`
		Body        string `json:"body"`
	}{messageType, "admin", adminID, body}
	err := c.do(ctx, &call{method: "POST", path: "/conversations/" + seg(conversationID) + "/reply",
		op: "/conversations/{conversation_id}/reply", body: req}, &cv)
	return cv, err
}
