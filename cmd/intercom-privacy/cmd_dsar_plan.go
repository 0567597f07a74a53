package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/dsar"
)

// newDsarPlanCmd builds `dsar plan ID`: what an erasure would do, sending nothing.
func newDsarPlanCmd() *cobra.Command {
	var (
		af     appFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "plan ID",
		Short: "Show what an erasure request would delete, keep and purge, without doing it",
		Long: `plan shows what the erasure request ID would do from where it stands: the
Intercom contacts, tickets and conversations it would delete, those it would keep
and why (shared with other people), the legal holds that would stop it, what the
local purge would remove, how many suppression entries it would add and how many
recipients would be told. It only searches and reads Intercom and writes nothing.
For identifiers not yet filed, use 'dsar erase --dry-run'.`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := af.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.RequireIntercom(); err != nil {
				return err
			}
			p, err := a.DSAR.PlanErasure(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), p)
			}
			printPlan(cmd.OutOrStdout(), p)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

// printPlan writes an erasure plan for the operator (Intercom ids and counts only).
func printPlan(w io.Writer, p dsar.ErasurePlan) {
	if p.RequestID != "" {
		fmt.Fprintf(w, "plan of %s (%s); nothing was sent or changed\n", p.RequestID, p.State)
	} else {
		fmt.Fprintln(w, "dry run: nothing was filed, sent or changed")
	}
	kinds := make([]string, 0, len(p.Searched))
	for k, n := range p.Searched {
		kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
	}
	fmt.Fprintf(w, "identifiers searched: %s\n", strings.Join(kinds, ", "))
	if !p.GraceUntil.IsZero() {
		fmt.Fprintf(w, "waiting period: starts after %s (it can be cancelled until then)\n", p.GraceUntil.UTC().Format(time.RFC3339))
	}
	for _, h := range p.Holds {
		basis := ""
		if h.Basis != "" {
			basis = "; basis " + h.Basis
		}
		fmt.Fprintf(w, "STOPPED by legal hold %s (%s%s): nothing is deleted while it is active\n", h.ID, h.Reason, basis)
	}
	if p.NothingFound {
		fmt.Fprintln(w, "nothing found: no Intercom contact matched")
	}
	toDelete := 0
	for _, c := range p.Contacts {
		if c.Kept == nil {
			toDelete++
		}
	}
	fmt.Fprintf(w, "Intercom contacts to delete: %d (of %d)\n", toDelete, len(p.Contacts))
	for _, c := range p.Contacts {
		note := ""
		if c.Status == dsar.StatusNotRetrievable {
			note = " (not found or archived: the DELETE is sent and reported by its answer)"
		}
		if c.Done {
			note += " (done)"
		}
		if c.Kept != nil {
			fmt.Fprintf(w, "  contact %s %s: KEPT, %s\n", c.ID, c.Status, keptWhy(*c.Kept))
			continue
		}
		fmt.Fprintf(w, "  contact %s %s: delete%s\n", c.ID, c.Status, note)
	}
	for _, o := range []struct {
		name string
		p    dsar.PlannedObjects
	}{{"tickets", p.Tickets}, {"conversations", p.Conversations}} {
		if o.p.Skipped != "" {
			fmt.Fprintf(w, "%s: not deleted explicitly (%s)", o.name, o.p.Skipped)
		} else {
			fmt.Fprintf(w, "%s to delete: %d (%d done)", o.name, len(o.p.Delete), len(o.p.Done))
		}
		if len(o.p.Kept) > 0 {
			fmt.Fprintf(w, "; kept: %d", len(o.p.Kept))
		}
		fmt.Fprintln(w)
		for _, k := range o.p.Kept {
			fmt.Fprintf(w, "  kept %s: %s\n", k.ID, keptWhy(k))
		}
	}
	fmt.Fprintf(w, "local purge: %d cached contact(s), %d earlier request(s) of the person shredded\n", p.Local.CachedContacts, p.Local.EarlierRequests)
	fmt.Fprintf(w, "suppression entries to add: %d\n", p.Suppressed)
	fmt.Fprintf(w, "recipients to notify: %d\n", p.Recipients)
}

// keptWhy says why an object is kept: the reason, the basis code and its
// provision, the hold or exception, until when.
func keptWhy(k dsar.KeptObject) string {
	out := strings.ReplaceAll(k.Why, "_", " ")
	if k.Basis != "" {
		out += ", basis " + k.Basis
		if k.Citation != "" {
			out += " (" + k.Citation + ")"
		}
	}
	switch {
	case k.Hold != "":
		out += ", hold " + k.Hold
	case k.Rule != "":
		out += ", exception " + k.Rule
	}
	if k.For != "" {
		out += ", for " + k.For
	}
	if !k.KeepUntil.IsZero() {
		out += ", until " + k.KeepUntil.UTC().Format(time.DateOnly)
	}
	return out
}
