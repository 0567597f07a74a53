// Package intercom is the project's client for Intercom's REST API (version 2.16 by
// default): the only code in intercom-privacy that speaks HTTP to Intercom.
//
// A Client is built from a Config (see ConfigFromEnv for the environment variables it
// reads) and is safe for concurrent use. Every method takes a context.Context; every
// request carries the pinned Intercom-Version header, a bearer token, and a User-Agent
// naming the project.
//
// # Pagination
//
// Collections are Go iterators (iter.Seq2[T, error]) over Intercom's three pagination
// styles: cursor pages (contacts list with the cursor in the query; contacts,
// conversations and tickets search with the cursor in the body), pages with a full
// "next" URL (a contact's companies), and the events style. An iterator holds one page
// in memory, always sends per_page, ends on an empty cursor and sends no further request
// when the caller breaks out of the loop. An error is yielded once, as the last element.
//
// # Rate limits and retries
//
// All goroutines of one Client share one budget learnt from the X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset headers: calls are spread evenly so that
// at most Config.BudgetShare of each window is spent. A 429 waits until the reset (plus
// jitter) and is retried for every method, since nothing was done. Server errors,
// timeouts and dropped connections are retried with capped exponential backoff and
// jitter only for idempotent requests (GET, DELETE, searches, archive and unarchive);
// export creation, merge and redaction are never retried once the request may have
// reached Intercom: they return an error matching ErrUnknownOutcome instead.
//
// # Errors
//
// Failures are *Error values built from Intercom's error.list envelope; they match the
// sentinel errors (ErrNotFound, ErrMerged, ErrUnauthorized, ...) with errors.Is. No error
// message produced by this package contains the token or a response body.
package intercom
