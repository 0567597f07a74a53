package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// cursor is what an opaque starting_after encodes: the position after which the next
// page starts (the last item's sort value and id) and that page's number.
type cursor struct {
	Kind  string `json:"k"`
	Page  int    `json:"p"`
	ID    string `json:"i"`
	SortS string `json:"s,omitempty"`
	SortN int64  `json:"n,omitempty"`
}

// cursorError reports a starting_after the sandbox did not hand out.
type cursorError struct{}

// Error implements error.
func (cursorError) Error() string {
	return "sandbox: starting_after is not a cursor this workspace handed out"
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, kind string) (cursor, error) {
	if len(s) > 4096 {
		return cursor{}, cursorError{}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return cursor{}, cursorError{}
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Kind != kind || c.Page < 1 || c.ID == "" {
		return cursor{}, cursorError{}
	}
	return c, nil
}

type pagesNext struct {
	PerPage       int    `json:"per_page"`
	StartingAfter string `json:"starting_after"`
}

type cursorPages struct {
	Type       string     `json:"type"`
	Page       int        `json:"page"`
	PerPage    int        `json:"per_page"`
	TotalPages int        `json:"total_pages"`
	Next       *pagesNext `json:"next,omitempty"`
}

// page selects one page of items ordered by less-or-equal key. items must be sorted by
// (key, id). It returns the page's items and its pages object.
func page[T any](items []T, perPage int, cur *cursor, kind string, key func(T) (string, int64), id func(T) string, desc bool) ([]T, cursorPages) {
	start, pageNo := 0, 1
	if cur != nil {
		pageNo = cur.Page + 1
		start = len(items)
		for i, it := range items {
			s, n := key(it)
			c := cmpKey(s, n, id(it), cur.SortS, cur.SortN, cur.ID)
			if desc {
				c = -c
			}
			if c > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+perPage, len(items))
	out := items[start:end]
	total := len(items)
	pp := cursorPages{Type: "pages", Page: pageNo, PerPage: perPage, TotalPages: (total + perPage - 1) / perPage}
	if pp.TotalPages == 0 {
		pp.TotalPages = 1
	}
	if end < len(items) && len(out) > 0 {
		last := out[len(out)-1]
		s, n := key(last)
		pp.Next = &pagesNext{PerPage: perPage, StartingAfter: encodeCursor(cursor{Kind: kind, Page: pageNo, ID: id(last), SortS: s, SortN: n})}
	}
	return out, pp
}

func cmpKey(s1 string, n1 int64, id1, s2 string, n2 int64, id2 string) int {
	if c := strings.Compare(s1, s2); c != 0 {
		return c
	}
	if n1 != n2 {
		if n1 < n2 {
			return -1
		}
		return 1
	}
	return strings.Compare(id1, id2)
}
