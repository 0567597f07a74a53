package intercom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// Page sizes.
const (
	// MaxPerPage is the largest per_page Intercom accepts on cursor-paginated lists.
	MaxPerPage = 150
	// DefaultPerPage is what the iterators ask for when ListOptions.PerPage is zero.
	DefaultPerPage = 150
)

// ListOptions tunes an iterator.
type ListOptions struct {
	// PerPage is the page size sent as per_page (default 150, at most 150). Always sent,
	// since Intercom's own defaults differ from its documentation.
	PerPage int
}

func (o ListOptions) perPage(def int) int {
	switch {
	case o.PerPage <= 0:
		return def
	case o.PerPage > MaxPerPage:
		return MaxPerPage
	}
	return o.PerPage
}

// pages is the "pages" object of every paginated answer. Next is an object with a
// starting_after cursor (cursor style) or a full URL (pages_link and events styles).
// Page and TotalPages number the pages of lists paginated by page number (a
// contact's notes), whose next may be null while pages remain.
type pages struct {
	Next       json.RawMessage `json:"next"`
	Page       Int             `json:"page"`
	TotalPages Int             `json:"total_pages"`
}

// next returns the cursor or the URL of the next page; both empty at the end.
func (p pages) next() (cursor, link string, err error) {
	raw := bytes.TrimSpace(p.Next)
	if len(raw) == 0 || string(raw) == "null" {
		return "", "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", "", err
		}
		return "", s, nil
	case '{':
		var n struct {
			StartingAfter String `json:"starting_after"`
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", "", err
		}
		return string(n.StartingAfter), "", nil
	}
	return "", "", fmt.Errorf("pages.next is neither an object nor a URL")
}

// position is where a page is: a cursor, a link, or a page number (all empty or
// zero for the first page).
type position struct {
	cursor string
	link   string
	pageNo int
}

func (p position) end() bool { return p == position{} }

// page is one fetched page: its items and where the next one is.
type page[T any] struct {
	items []T
	next  position
}

// walk turns a page fetcher into an iterator holding one page at a time. fetch is
// called with the position of the next page (the zero position for the first). The
// walk ends at a page without a next position, stops without another request when
// the caller breaks, and yields a single error as its last element.
func walk[T any](fetch func(at position) (page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var at position
		for {
			p, err := fetch(at)
			if err != nil {
				yield(zero, err)
				return
			}
			for i := range p.items {
				if !yield(p.items[i], nil) {
					return
				}
				var z T
				p.items[i] = z // let the page's items be collected as the caller moves on
			}
			if p.next.end() {
				return
			}
			// Only the previous position is kept (memory stays at one page): a server
			// that hands back the page it was asked for would loop forever.
			if p.next == at {
				yield(zero, fmt.Errorf("%w: pagination did not advance (the same next page twice)", ErrMalformedResponse))
				return
			}
			at = p.next
		}
	}
}

// followLink resolves a "next" URL against the base URL and refuses any other host,
// so the token is only ever sent to the API it was configured for. per_page is added
// when the link lacks it.
func (c *Client) followLink(link string, perPage int) (*url.URL, error) {
	u, err := c.cfg.base.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("%w: the next-page link is not a URL", ErrMalformedResponse)
	}
	if err := c.sameHost(u); err != nil {
		return nil, err
	}
	if perPage > 0 {
		q := u.Query()
		if q.Get("per_page") == "" {
			q.Set("per_page", strconv.Itoa(perPage))
			u.RawQuery = q.Encode()
		}
	}
	return u, nil
}

// sameHost checks that u has the base URL's scheme and host.
func (c *Client) sameHost(u *url.URL) error {
	if u.Scheme != c.cfg.base.Scheme || u.Host != c.cfg.base.Host || u.User != nil {
		return fmt.Errorf("%w: %s://%s is not the configured API host", ErrForeignHost, u.Scheme, u.Host)
	}
	return nil
}

// listPages fetches a GET list whose cursor travels in the query string, or whose
// next page is a full URL.
func listPages[T any](ctx context.Context, c *Client, path, op string, query url.Values, perPage int,
	extract func(data []byte, status int, ct string, cl *call) ([]T, pages, error)) iter.Seq2[T, error] {
	return walk(func(at position) (page[T], error) {
		cl := &call{method: "GET", path: path, op: op, idempotent: true}
		if at.link != "" {
			u, err := c.followLink(at.link, perPage)
			if err != nil {
				return page[T]{}, err
			}
			cl.abs = u
		} else {
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("per_page", strconv.Itoa(perPage))
			if at.cursor != "" {
				q.Set("starting_after", at.cursor)
			}
			if at.pageNo > 0 {
				q.Set("page", strconv.Itoa(at.pageNo))
			}
			cl.query = q
		}
		return fetchPage(ctx, c, cl, false, extract)
	})
}

// fetchPage sends the call for one page, reads and decodes the answer with extract
// and finds where the next page is. cursorOnly refuses a next page given as a URL
// (searches carry their cursor in the body).
func fetchPage[T any](ctx context.Context, c *Client, cl *call, cursorOnly bool,
	extract func(data []byte, status int, ct string, cl *call) ([]T, pages, error)) (page[T], error) {
	var (
		data   []byte
		ct     string
		status int
		items  []T
		pg     pages
	)
	err := c.retryBadID(ctx, cl, func() error {
		resp, err := c.send(ctx, cl)
		if err != nil {
			return err
		}
		if data, err = c.readBody(resp, cl); err != nil {
			return err
		}
		ct, status = resp.Header.Get("Content-Type"), resp.StatusCode
		items, pg, err = extract(data, status, ct, cl)
		return err
	})
	if err != nil {
		return page[T]{}, err
	}
	nc, nl, err := pg.next()
	switch {
	case cursorOnly && (err != nil || nl != ""):
		return page[T]{}, malformed(cl, status, ct, len(data), "pages.next is not a cursor")
	case err != nil:
		return page[T]{}, malformed(cl, status, ct, len(data), err.Error())
	}
	next := position{cursor: nc, link: nl}
	// A list paginated by page number may answer next: null while pages remain
	// (notes); ask for the following page number then. An empty page ends the walk
	// whatever the counts say.
	if next.end() && !cursorOnly && len(items) > 0 && pg.Page > 0 && pg.Page < pg.TotalPages {
		next.pageNo = int(pg.Page) + 1
	}
	return page[T]{items: items, next: next}, nil
}

// searchBody is the body of a search request; the cursor travels in pagination.
type searchBody struct {
	Query      Query            `json:"query"`
	Pagination searchPagination `json:"pagination"`
	Sort       *Sort            `json:"sort,omitempty"`
}

type searchPagination struct {
	PerPage       int    `json:"per_page"`
	StartingAfter string `json:"starting_after,omitempty"`
}

// Sort orders contact search results.
type Sort struct {
	Field string `json:"field"`
	// Order is "ascending" or "descending".
	Order string `json:"order"`
}

// SearchOptions tunes a search iterator.
type SearchOptions struct {
	// PerPage is the page size (default 150, at most 150).
	PerPage int
	// Sort orders the results (contacts only).
	Sort *Sort
}

// searchPages walks a search endpoint, the cursor in the body.
func searchPages[T any](ctx context.Context, c *Client, path string, q Query, opts SearchOptions, def int,
	extract func(data []byte, status int, ct string, cl *call) ([]T, pages, error)) iter.Seq2[T, error] {
	if err := ValidateQuery(q); err != nil {
		return errSeq[T](err)
	}
	if opts.Sort != nil && path != "/contacts/search" {
		return errSeq[T](fmt.Errorf("%w: only contact search takes a sort", ErrValidation))
	}
	if opts.Sort != nil && opts.Sort.Order != "ascending" && opts.Sort.Order != "descending" {
		return errSeq[T](fmt.Errorf("%w: sort order %q is not ascending or descending", ErrValidation, opts.Sort.Order))
	}
	perPage := ListOptions{PerPage: opts.PerPage}.perPage(def)
	return walk(func(at position) (page[T], error) {
		cursor := at.cursor
		if at.link != "" || at.pageNo != 0 {
			return page[T]{}, fmt.Errorf("%w: a search answered with a next-page URL instead of a cursor", ErrMalformedResponse)
		}
		body := searchBody{Query: q, Pagination: searchPagination{PerPage: perPage, StartingAfter: cursor}, Sort: opts.Sort}
		cl := &call{method: "POST", path: path, body: body, idempotent: true}
		return fetchPage(ctx, c, cl, true, extract)
	})
}

// errSeq is an iterator yielding only err.
func errSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

// extractor builds an extract function for a list envelope type E.
func extractor[E any, T any](items func(*E) []T, pg func(*E) pages) func([]byte, int, string, *call) ([]T, pages, error) {
	return func(data []byte, status int, ct string, cl *call) ([]T, pages, error) {
		var env E
		if err := decodeJSON(data, status, ct, cl, &env); err != nil {
			return nil, pages{}, err
		}
		return items(&env), pg(&env), nil
	}
}
