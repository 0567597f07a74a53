package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// A sandbox in-process: serve it with httptest, call it like Intercom, then ask it what
// happened.
func Example() {
	s, err := sandbox.New(sandbox.Options{Seed: 1, Contacts: 100})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	p := s.SamplePerson()
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/contacts/"+p.ArchivedIDs[0], nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("Intercom-Version", "2.16")
	res, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()

	fmt.Println(res.StatusCode, s.Stats().Effect(sandbox.EffectContactDeleted, p.ArchivedIDs[0]))
	// Output: 200 1
}
