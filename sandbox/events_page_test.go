package sandbox

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// eventPage is one answer of GET /events.
type eventPage struct {
	Type   string      `json:"type"`
	Events []eventJSON `json:"events"`
	Pages  struct {
		Next  string `json:"next"`
		Since string `json:"since"`
	} `json:"pages"`
}

// walkEvents lists every event of contact id through the HTTP API, perPage at a time,
// following pages.next (a full URL on the sandbox) until there is none.
func walkEvents(t *testing.T, e *env, id string, perPage int) []eventJSON {
	t.Helper()
	var out []eventJSON
	path := "/events?type=user&intercom_user_id=" + url.QueryEscape(id) + "&per_page=" + strconv.Itoa(perPage)
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
		var p eventPage
		e.want(e.do("GET", path, nil), 200).json(t, &p)
		if p.Type != "event.list" || len(p.Events) > perPage {
			t.Fatalf("page %d: type %q with %d events (per_page %d)", pages, p.Type, len(p.Events), perPage)
		}
		out = append(out, p.Events...)
		if p.Pages.Next == "" {
			return out
		}
		if !strings.HasPrefix(p.Pages.Next, e.url+"/events?") || !strings.Contains(p.Pages.Next, "before=") {
			t.Fatalf("pages.next is not a full URL with before=: %q", p.Pages.Next)
		}
		if len(p.Events) == 0 {
			t.Fatal("an empty page has a next link")
		}
		path = strings.TrimPrefix(p.Pages.Next, e.url)
	}
}

// recentInWorkspace returns the ids of the events of contact id that GET /events
// must list (created in the last 90 days), from the workspace's own data.
func recentInWorkspace(e *env, id string) []string {
	cutoff := e.clock.Now().Unix() - eventWindow
	var ids []string
	for _, ev := range e.s.Workspace().Events(id) {
		if ev.CreatedAt >= cutoff {
			ids = append(ids, ev.ID)
		}
	}
	return ids
}

// checkListing checks that got holds exactly the events want (no duplicate, none
// missing, none extra), newest first.
func checkListing(t *testing.T, got []eventJSON, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, ev := range got {
		if seen[ev.ID] {
			t.Fatalf("event %d (%s) listed twice", i, ev.ID)
		}
		seen[ev.ID] = true
		if i > 0 && ev.CreatedAt > got[i-1].CreatedAt {
			t.Fatalf("event %d is newer than the one before it", i)
		}
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("listed %d events, want %d: event %s is missing", len(got), len(want), id)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d events, want %d", len(got), len(want))
	}
}

// TestPersonEventCounts checks Person.Events and Person.RecentEvents against the
// workspace's own events and against what GET /events lists, for counts that used
// to spill past the 90-day window (25 recent events were spread over 169 days).
func TestPersonEventCounts(t *testing.T) {
	e := newEnv(t, Options{Seed: 5, Contacts: 20})
	cutoff := e.clock.Now().Unix() - eventWindow
	for _, c := range []struct{ recent, old int }{{0, 0}, {1, 0}, {5, 3}, {12, 1}, {13, 0}, {25, 4}, {200, 7}} {
		p := e.s.AddPerson(PersonSpec{Users: 2, Leads: 1, Archived: 1, Merged: 1, Events: c.recent, OldEvents: c.old})
		all, recent := 0, 0
		for _, id := range p.ContactIDs {
			for _, ev := range e.s.Workspace().Events(id) {
				all++
				if ev.CreatedAt >= cutoff {
					recent++
				}
			}
		}
		if p.RecentEvents != c.recent || recent != c.recent || p.Events != c.recent+c.old || all != p.Events {
			t.Fatalf("spec %d recent + %d old: Person says %d recent of %d, the workspace holds %d recent of %d",
				c.recent, c.old, p.RecentEvents, p.Events, recent, all)
		}
		listed := 0
		for _, id := range p.LiveContactIDs {
			evs := walkEvents(t, e, id, 7)
			checkListing(t, evs, recentInWorkspace(e, id))
			listed += len(evs)
		}
		if listed != p.RecentEvents {
			t.Fatalf("GET /events listed %d events of the person, Person.RecentEvents is %d", listed, p.RecentEvents)
		}
	}
}

// addEventsAt gives contact id n events created at the same second at.
func addEventsAt(t *testing.T, ws *Workspace, id string, at int64, n int) {
	t.Helper()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c := ws.contacts[id]
	if c == nil {
		t.Fatalf("no contact %s", id)
	}
	g := &generator{w: ws, r: ws.rnd, now: at}
	for range n {
		g.event(c, at)
	}
}

// TestEventsPagingSameSecond lists events many of which share a second, with page
// boundaries falling inside those groups: the cursor must neither skip nor repeat any.
func TestEventsPagingSameSecond(t *testing.T) {
	e := newEnv(t, Options{Seed: 9, Contacts: 20})
	p := e.s.AddPerson(PersonSpec{Users: 1, Events: 10, OldEvents: 2})
	id := p.LiveContactIDs[0]
	now := e.clock.Now().Unix()
	ws := e.s.Workspace()
	addEventsAt(t, ws, id, now-3600, 61)
	addEventsAt(t, ws, id, now-7200, 150) // more than the largest page
	addEventsAt(t, ws, id, now-2*day, 9)
	addEventsAt(t, ws, id, now-eventWindow, 5)   // the oldest second still listed
	addEventsAt(t, ws, id, now-eventWindow-1, 4) // one second too old
	want := recentInWorkspace(e, id)
	if len(want) != 10+61+150+9+5 {
		t.Fatalf("the workspace holds %d recent events, want %d", len(want), 10+61+150+9+5)
	}
	for _, perPage := range []int{1, 7, 50, 60, 149, 150} {
		checkListing(t, walkEvents(t, e, id, perPage), want)
	}

	// A bare timestamp, as Intercom documents before=, lists what is strictly older.
	var p1 eventPage
	e.want(e.do("GET", "/events?type=user&intercom_user_id="+id+"&per_page=150&before="+strconv.FormatInt(now-3600, 10), nil), 200).json(t, &p1)
	if len(p1.Events) != 150 || p1.Events[0].CreatedAt != now-7200 {
		t.Fatalf("before=<timestamp> listed %d events starting at %d", len(p1.Events), p1.Events[0].CreatedAt)
	}
	for _, bad := range []string{"abc", "12_", "_abc", "12_a%20b", "12_" + strings.Repeat("a", 65), "1e9", "12_%C3%A9"} {
		r := e.want(e.do("GET", "/events?type=user&intercom_user_id="+id+"&before="+bad, nil), 400)
		if c := r.code(t); c != "parameter_invalid" {
			t.Fatalf("before=%s: code %q", bad, c)
		}
	}
}

// TestEventsPagingStableUnderInserts adds events while a walk is under way: the walk
// still lists every event that existed when it began, once.
func TestEventsPagingStableUnderInserts(t *testing.T) {
	e := newEnv(t, Options{Seed: 11, Contacts: 20})
	p := e.s.AddPerson(PersonSpec{Users: 1, Events: 3})
	id := p.LiveContactIDs[0]
	now := e.clock.Now().Unix()
	addEventsAt(t, e.s.Workspace(), id, now-600, 40)
	want := recentInWorkspace(e, id)
	var got []eventJSON
	path := "/events?type=user&intercom_user_id=" + id + "&per_page=9"
	for path != "" {
		var pg eventPage
		e.want(e.do("GET", path, nil), 200).json(t, &pg)
		got = append(got, pg.Events...)
		// Newer events (a new second) and events in the very second being paged.
		addEventsAt(t, e.s.Workspace(), id, now-60, 2)
		addEventsAt(t, e.s.Workspace(), id, now-600, 2)
		path = strings.TrimPrefix(pg.Pages.Next, e.url)
	}
	seen := map[string]bool{}
	for _, ev := range got {
		if seen[ev.ID] {
			t.Fatalf("event %s listed twice", ev.ID)
		}
		seen[ev.ID] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Fatalf("event %s, present when the walk began, was not listed", w)
		}
	}
}

func TestEventsBeforeRoundTrip(t *testing.T) {
	for _, c := range []struct {
		at int64
		id string
	}{{0, "a"}, {-5, "0f"}, {1732700000, "5f2a9c0d1e3b4a6978c1d2e3"}, {1<<63 - 1, "A-b_c"}} {
		v := formatEventsBefore(c.at, c.id)
		got, err := parseEventsBefore(v)
		if err != nil || got != (eventsCursor{set: true, at: c.at, id: c.id}) {
			t.Fatalf("parse(format(%d, %q)) = %+v, %v", c.at, c.id, got, err)
		}
	}
	if c, err := parseEventsBefore(""); err != nil || c.set {
		t.Fatalf("empty before: %+v, %v", c, err)
	}
}

// FuzzEventsBefore: parsing any before= value never panics, accepts only what it can
// format back, and a cursor it accepts round-trips.
func FuzzEventsBefore(f *testing.F) {
	for _, s := range []string{"", "0", "1732700000", "1732700000_5f2a9c0d1e3b4a6978c1d2e3", "12_", "_x", "+1_a", "-1_a_b",
		"99999999999999999999_a", "1_" + strings.Repeat("z", 64), "1_é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := parseEventsBefore(v)
		if err != nil {
			if c != (eventsCursor{}) {
				t.Fatalf("an error with a cursor: %+v", c)
			}
			return
		}
		if v != "" && !c.set {
			t.Fatalf("%q accepted as no cursor", v)
		}
		if c.id == "" {
			return
		}
		if len(c.id) > maxEventIDLen || strings.ContainsFunc(c.id, func(r rune) bool {
			return !slices.Contains([]rune("-_"), r) && !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			t.Fatalf("%q: accepted id %q", v, c.id)
		}
		again, err := parseEventsBefore(formatEventsBefore(c.at, c.id))
		if err != nil || again != c {
			t.Fatalf("%q: round trip gave %+v, %v", v, again, err)
		}
	})
}
