package console

import (
	"context"
	"time"
)

// NoteBook keeps the notes on a request and who works it; the dsar workflow
// provides it (each change with its audit record).
type NoteBook interface {
	Notes(ctx context.Context, requestID string) (Notes, error)
	AddNote(ctx context.Context, requestID, text string) error
	// Assign makes userID the request's assignee ("" for nobody).
	Assign(ctx context.Context, requestID, userID string) error
}

// Notes are a request's notes, oldest first, and its assignee.
type Notes struct {
	Assignee string
	Items    []Note
}

// Note is one note: who wrote it (a user id) and when.
type Note struct {
	At     time.Time
	Author string
	Text   string
}
