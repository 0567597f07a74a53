package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func init() { register(newDemoCmd) }

// demoReport is what `demo --json` prints.
type demoReport struct {
	Throwaway struct {
		Store     string `json:"store"`
		MasterKey string `json:"master_key"`
		Sandbox   string `json:"sandbox"`
	} `json:"throwaway"`
	Person struct {
		Contacts      int `json:"contacts"`
		Live          int `json:"live"`
		Archived      int `json:"archived"`
		Merged        int `json:"merged"`
		Conversations int `json:"conversations"`
		Tickets       int `json:"tickets"`
	} `json:"sample_person"`
	Requests []demoRequest `json:"requests"`
	Audit    audit.Report  `json:"audit"`
	Elapsed  string        `json:"elapsed"`
}

type demoRequest struct {
	ID       string             `json:"id"`
	Type     string             `json:"type"`
	State    string             `json:"state"`
	Found    []demoMatch        `json:"found,omitempty"`
	Package  []demoFile         `json:"package,omitempty"`
	Outcome  *dsar.Outcome      `json:"outcome,omitempty"`
	Verified *dsar.VerifyDetail `json:"verification,omitempty"`
}

type demoMatch struct {
	ContactID  string   `json:"contact_id"`
	Role       string   `json:"role,omitempty"`
	Status     string   `json:"status"`
	MergedInto string   `json:"merged_into,omitempty"`
	MatchedBy  []string `json:"matched_by"`
}

type demoFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// newDemoCmd builds `intercom-privacy demo`: the whole product in one run, on a
// throwaway sandbox and store.
func newDemoCmd() *cobra.Command {
	var (
		both, asJSON, keep bool
		contacts           int
		latency            time.Duration
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run an access and an erasure request against an in-process sandbox, end to end",
		Long: `demo shows the product working, on this machine, with nothing to install:

  1. it starts an imitation Intercom workspace (the sandbox) on 127.0.0.1 with
     synthetic people, and a throwaway SQLite store in a temporary directory with a
     freshly generated throwaway master key (never printed, gone at exit);
  2. it files an access request and an erasure request (or one of each kind
     together with --both) for the sandbox's sample person: a user and a lead
     sharing an email, an archived contact known by id, a merged lead,
     conversations, tickets, notes and events;
  3. it runs them as durable jobs, and prints what was found (each contact and why
     it matched), the access package's files, the erasure's counts and
     verification, and the audit trail's verification.

Nothing here touches a real Intercom workspace or your DATABASE_URL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), both, asJSON, keep, contacts, latency)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&both, "both", false, "file one access+erasure request instead of two separate requests")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	f.BoolVar(&keep, "keep", false, "keep the temporary directory (the SQLite store) after the demo")
	f.IntVar(&contacts, "contacts", 60, "size of the generated workspace")
	f.DurationVar(&latency, "latency", 0, "latency the sandbox adds to every answer (e.g. 50ms to feel a real API)")
	return cmd
}

func runDemo(ctx context.Context, out, errw io.Writer, both, asJSON, keep bool, contacts int, latency time.Duration) error {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir, err := os.MkdirTemp("", "intercom-privacy-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	l, err := sandbox.Listen("127.0.0.1:0", sandbox.Options{Contacts: contacts, Latency: latency, RateLimit: -1})
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- l.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	text, err := vault.GenerateMasterKey()
	if err != nil {
		return err
	}
	master, err := vault.ParseMasterKey(text)
	text = ""
	if err != nil {
		return err
	}
	dbURL := "sqlite://" + filepath.Join(dir, "demo.db")
	a, err := app.Open(ctx, app.Settings{
		DatabaseURL: dbURL, MasterKey: master, InitKeys: true, Actor: "demo", Config: demoConfig(),
		Intercom: intercom.Config{Token: intercom.Token(l.Server.Token()), BaseURL: l.URL, Timeout: 10 * time.Second},
		Logger:   slog.Default(),
	})
	if err != nil {
		return err
	}
	defer a.Close()
	a.DSAR.RetentionText = retention.Default().Describe()

	var rep demoReport
	rep.Throwaway.Store = filepath.Join(dir, "demo.db")
	rep.Throwaway.MasterKey = "generated for this run, kept in memory only, never printed"
	rep.Throwaway.Sandbox = l.URL
	p := l.Server.SamplePerson()
	rep.Person.Contacts, rep.Person.Live, rep.Person.Archived, rep.Person.Merged = len(p.ContactIDs), len(p.LiveContactIDs), len(p.ArchivedIDs), len(p.MergedIDs)
	rep.Person.Conversations, rep.Person.Tickets = len(p.ConversationIDs), len(p.TicketIDs)
	if !asJSON {
		fmt.Fprintln(out, "intercom-privacy demo: everything below is THROWAWAY")
		fmt.Fprintf(out, "  sandbox workspace   %s (synthetic data, %d contacts)\n", l.URL, contacts)
		if keep {
			fmt.Fprintf(out, "  SQLite store        %s (kept: --keep)\n", rep.Throwaway.Store)
		} else {
			fmt.Fprintf(out, "  SQLite store        %s (deleted at exit)\n", rep.Throwaway.Store)
		}
		fmt.Fprintln(out, "  master key          a throwaway key generated for this run (in memory only, never printed)")
		fmt.Fprintf(out, "\nsample person: %d contacts (%d live, %d archived, %d merged), %d conversations, %d tickets\n",
			rep.Person.Contacts, rep.Person.Live, rep.Person.Archived, rep.Person.Merged, rep.Person.Conversations, rep.Person.Tickets)
		fmt.Fprintln(out, "filed with the email, plus the ids of the archived and merged contacts (search cannot find those)")
	}
	ids := dsar.Identifiers{Emails: []string{p.Email}, ContactIDs: append(append([]string{}, p.ArchivedIDs...), p.MergedIDs...)}
	types := []store.RequestType{store.RequestAccess, store.RequestErasure}
	if both {
		types = []store.RequestType{store.RequestAccessErasure}
	}
	for _, t := range types {
		r, err := a.DSAR.Submit(ctx, dsar.Submission{Type: t, Jurisdiction: deadline.GDPR, Channel: "email", Identifiers: ids})
		if err != nil {
			return err
		}
		if _, err := a.DSAR.Verify(ctx, r.ID, "demo"); err != nil {
			return err
		}
		// The access request must finish before the erasure deletes the person.
		progress := errw
		if asJSON {
			progress = io.Discard
		}
		if err := runInProcess(ctx, a, []string{r.ID}, progress); err != nil {
			return err
		}
		// Read the results now: the erasure that follows also removes the person's
		// earlier access package from the store.
		dr, err := demoRequestOf(ctx, a, r.ID)
		if err != nil {
			return err
		}
		rep.Requests = append(rep.Requests, dr)
	}
	if err := a.FinishRun(ctx); err != nil {
		return err
	}
	if rep.Audit, err = a.VerifyAudit(ctx); err != nil {
		return err
	}
	rep.Elapsed = time.Since(start).Round(time.Millisecond).String()
	if asJSON {
		return writeJSON(out, rep)
	}
	for _, dr := range rep.Requests {
		printDemoRequest(out, dr)
	}
	fmt.Fprintln(out, "\naudit verify:")
	printReport(out, &rep.Audit, time.Now())
	fmt.Fprintf(out, "\ndone in %s. Next: `intercom-privacy sandbox` serves this workspace for the real commands (dsar access|erase, worker, list, show).\n", rep.Elapsed)
	if !rep.Audit.OK() {
		return rep.Audit.Err()
	}
	return nil
}

func demoRequestOf(ctx context.Context, a *app.App, id string) (demoRequest, error) {
	r, err := a.DSAR.Get(ctx, id)
	if err != nil {
		return demoRequest{}, err
	}
	dr := demoRequest{ID: r.ID, Type: string(r.Type), State: string(r.State)}
	steps, err := a.Store.Steps(ctx, id)
	if err != nil {
		return dr, err
	}
	for _, s := range steps {
		switch s.Name {
		case dsar.StepResolve:
			var d struct {
				Contacts []struct {
					ID         string   `json:"id"`
					Role       string   `json:"role"`
					Status     string   `json:"status"`
					MergedInto string   `json:"merged_into"`
					MatchedBy  []string `json:"matched_by"`
				} `json:"contacts"`
			}
			if err := json.Unmarshal(s.Detail, &d); err == nil {
				for _, c := range d.Contacts {
					dr.Found = append(dr.Found, demoMatch{ContactID: c.ID, Role: c.Role, Status: c.Status, MergedInto: c.MergedInto, MatchedBy: c.MatchedBy})
				}
			}
		case dsar.StepVerify:
			var v dsar.VerifyDetail
			if json.Unmarshal(s.Detail, &v) == nil {
				dr.Verified = &v
			}
		}
	}
	if len(r.Outcome) > 0 {
		var o dsar.Outcome
		if json.Unmarshal(r.Outcome, &o) == nil {
			dr.Outcome = &o
		}
	}
	if r.Type != store.RequestErasure {
		files, err := demoPackageFiles(ctx, a, r)
		if err != nil {
			return dr, err
		}
		dr.Package = files
	}
	return dr, nil
}

func printDemoRequest(out io.Writer, dr demoRequest) {
	fmt.Fprintf(out, "\n== %s request %s: %s\n", dr.Type, dr.ID, dr.State)
	if len(dr.Found) > 0 {
		fmt.Fprintln(out, "found in Intercom:")
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		for _, m := range dr.Found {
			role := m.Role
			if role == "" {
				role = "-"
			}
			extra := ""
			if m.MergedInto != "" {
				extra = " (merged into " + m.MergedInto + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s%s\tmatched by %s\n", m.ContactID, role, m.Status, extra, strings.Join(m.MatchedBy, ", "))
		}
		tw.Flush()
	}
	if len(dr.Package) > 0 {
		fmt.Fprintln(out, "access package files:")
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		for _, f := range dr.Package {
			sum := f.SHA256
			if len(sum) > 16 {
				sum = sum[:16] + "…"
			}
			fmt.Fprintf(tw, "  %s\t%d bytes\t%s\n", f.Name, f.Size, sum)
		}
		tw.Flush()
	}
	if o := dr.Outcome; o != nil {
		fmt.Fprintf(out, "outcome: %s\n  %s\n", o.Result, formatCounts(o.Counts))
		if len(o.Systems) > 0 {
			fmt.Fprintf(out, "  systems purged: %s\n  note: %s\n", strings.Join(o.Systems, ", "), dsar.RecoveryWindowNotice)
		}
	}
	if v := dr.Verified; v != nil {
		fmt.Fprintf(out, "verification: %s; evidence sha256 %s\n", formatCounts(v.Counts), v.EvidenceSHA256)
	}
}

// demoPackageFiles lists the access package's files from its manifest.
func demoPackageFiles(ctx context.Context, a *app.App, r store.Request) ([]demoFile, error) {
	var buf bytes.Buffer
	if _, err := a.DSAR.WritePackage(ctx, r.ID, &buf); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("demo: the access package is not a zip: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "manifest.json" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		var m accesspkg.Manifest
		err = json.NewDecoder(rc).Decode(&m)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("demo: manifest.json: %w", err)
		}
		out := []demoFile{{Name: "manifest.json", Size: int64(f.UncompressedSize64)}}
		for _, e := range m.Files {
			out = append(out, demoFile{Name: e.Name, Size: int64(e.Size), SHA256: e.SHA256})
		}
		return out, nil
	}
	return nil, errors.New("demo: the access package has no manifest.json")
}

// demoConfig is the built-in configuration with a demo controller and DPO
// contact: outside the demo an access package is refused until the operator
// sets access.controller and access.contact_dpo.
func demoConfig() *config.Config {
	c := config.Default()
	c.Access.Controller = "Demo Company Ltd (intercom-privacy demo)"
	c.Access.ContactDPO = "dpo@demo-company.example"
	return c
}
