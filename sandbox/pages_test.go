package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestPageNumberWalk walks every endpoint paginated by page number the way
// Intercom's official SDKs do: ?page=1,2,... with a per_page until a page comes back
// empty. Each page must report the page and per_page asked for, and the walk must
// yield every item once, in order.
func TestPageNumberWalk(t *testing.T) {
	e := newEnv(t, Options{Seed: 5, Contacts: 100})
	p := e.s.AddPerson(PersonSpec{Users: 1, Notes: 7})
	user := p.LiveContactIDs[0]
	var withCompany Contact
	for _, c := range e.s.Workspace().Contacts() {
		if len(c.CompanyIDs) > 0 && live(&c) {
			withCompany = c
			break
		}
	}
	if withCompany.ID == "" {
		t.Fatal("the generated workspace has no contact with a company")
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/contacts/" + user + "/notes", p.NoteIDs},
		{"/contacts/" + withCompany.ID + "/companies", withCompany.CompanyIDs},
	} {
		for _, perPage := range []int{1, 2, 3, 50} {
			var got []string
			pages := 0
			for pageNo := 1; ; pageNo++ {
				if pageNo > 100 {
					t.Fatalf("%s per_page=%d: the walk does not end", tc.path, perPage)
				}
				var l struct {
					Data []struct {
						ID string `json:"id"`
					} `json:"data"`
					TotalCount int `json:"total_count"`
					Pages      struct {
						Page       int `json:"page"`
						PerPage    int `json:"per_page"`
						TotalPages int `json:"total_pages"`
						Next       any `json:"next"`
					} `json:"pages"`
				}
				e.want(e.do("GET", fmt.Sprintf("%s?page=%d&per_page=%d", tc.path, pageNo, perPage), nil), 200).json(t, &l)
				if l.Pages.Page != pageNo || l.Pages.PerPage != perPage || l.TotalCount != len(tc.want) {
					t.Errorf("%s page %d per_page %d: pages %+v total_count %d", tc.path, pageNo, perPage, l.Pages, l.TotalCount)
				}
				if len(l.Data) > perPage {
					t.Errorf("%s page %d: %d items for per_page %d", tc.path, pageNo, len(l.Data), perPage)
				}
				if len(l.Data) == 0 {
					break
				}
				pages++
				for _, d := range l.Data {
					got = append(got, d.ID)
				}
			}
			if !slices.Equal(sorted(got), sorted(tc.want)) || len(got) != len(tc.want) {
				t.Errorf("%s per_page=%d: walked %v, want %v", tc.path, perPage, got, tc.want)
			}
			if wantPages := (len(tc.want) + perPage - 1) / perPage; pages != wantPages {
				t.Errorf("%s per_page=%d: %d non-empty pages, want %d", tc.path, perPage, pages, wantPages)
			}
		}
		// Without page and per_page: page 1 of Intercom's default 50.
		var l struct {
			Pages struct {
				Page    int `json:"page"`
				PerPage int `json:"per_page"`
			} `json:"pages"`
		}
		e.want(e.do("GET", tc.path, nil), 200).json(t, &l)
		if l.Pages.Page != 1 || l.Pages.PerPage != defaultNumberedPerPage {
			t.Errorf("%s: default pages %+v", tc.path, l.Pages)
		}
		for _, bad := range []string{"page=0", "page=-1", "page=x", "per_page=0", "page=99999999999"} {
			if r := e.do("GET", tc.path+"?"+bad, nil); r.status != 400 || r.code(t) != "parameter_invalid" {
				t.Errorf("%s?%s: %d %.200s", tc.path, bad, r.status, r.body)
			}
		}
	}
}

// TestNumberedLinks: the companies' pages.next is the URL of the next page while
// there is one (pages_link); the notes' is null (cursor_pages, as the description's
// example answers).
func TestNumberedLinks(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	r := httptestRequest("/contacts/c1/companies?page=2&per_page=2")
	got, pg := numbered(r, items, 2, 2, true)
	if !slices.Equal(got, []int{3, 4}) || pg.TotalPages != 3 || pg.Next != "http://sandbox.test/contacts/c1/companies?page=3&per_page=2" {
		t.Errorf("page 2: %v %+v", got, pg)
	}
	got, pg = numbered(r, items, 3, 2, true)
	if !slices.Equal(got, []int{5}) || pg.Next != nil {
		t.Errorf("page 3: %v %+v", got, pg)
	}
	got, pg = numbered(r, items, 9, 2, true)
	if len(got) != 0 || pg.Page != 9 || pg.Next != nil {
		t.Errorf("page 9: %v %+v", got, pg)
	}
	if _, pg = numbered(r, items, 1, 2, false); pg.Next != nil {
		t.Errorf("notes style: next %v", pg.Next)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func httptestRequest(target string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "http://sandbox.test"+target, nil)
}
