package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

// The workers (`worker`, `serve`) drain the outbox when a mail server is
// configured; without one, nothing is written to it either.
func init() {
	register(newMessagesCmd)
	registerWorkerHook(func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
		if a.Mail == nil {
			return nil, nil
		}
		jobs, err := mail.RegisterPeriodic(workers, a.Mail)
		if err != nil {
			return nil, err
		}
		expire, err := intake.RegisterPeriodic(workers, a.Store, a.Vault)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, expire...)
		if len(a.Config.Mail.Operators) == 0 {
			return jobs, nil
		}
		remind, err := messages.RegisterReminders(workers, &messages.Reminders{Store: a.Store, Messages: a.Messages,
			Operators: a.Config.Mail.Operators, Days: a.Config.Mail.ReminderDays, Now: a.Settings.Now})
		return append(jobs, remind...), err
	})
}

// messageView is an outbox message as `messages status --json` prints it.
type messageView struct {
	ID            string    `json:"id"`
	RequestID     string    `json:"request_id,omitempty"`
	Kind          string    `json:"kind"`
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	SentAt        time.Time `json:"sent_at,omitzero"`
}

func viewMessage(m store.OutboxMessage) messageView {
	v := messageView{ID: m.ID, RequestID: m.RequestID, Kind: m.Kind, State: string(m.State), Attempts: m.Attempts,
		LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
	if m.State == store.MessagePending {
		v.NextAttemptAt = m.NextAttemptAt
	}
	return v
}

type statusView struct {
	Configured    bool          `json:"configured"`
	Server        string        `json:"server,omitempty"`
	Pending       int64         `json:"pending"`
	Sent          int64         `json:"sent"`
	Failed        int64         `json:"failed"`
	OldestPending time.Time     `json:"oldest_pending,omitzero"`
	Problems      []messageView `json:"problems"`
}

func printMessageStatus(w io.Writer, v statusView) {
	if !v.Configured {
		fmt.Fprintf(w, "mail: not configured (set %s); no messages are written\n", mail.EnvSMTPURL)
	} else {
		fmt.Fprintf(w, "mail: %s\n", v.Server)
	}
	fmt.Fprintf(w, "pending %d, sent %d, failed %d", v.Pending, v.Sent, v.Failed)
	if !v.OldestPending.IsZero() {
		fmt.Fprintf(w, "; oldest waiting since %s", v.OldestPending.Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	if len(v.Problems) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREQUEST\tKIND\tSTATE\tATTEMPTS\tLAST ERROR")
	for _, m := range v.Problems {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", m.ID, m.RequestID, m.Kind, m.State, m.Attempts, m.LastError)
	}
	tw.Flush()
}

// newMessagesCmd builds `intercom-privacy messages`.
func newMessagesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "messages",
		Short: "The e-mail sent to people and operators: the outbox's state, retries",
		Long: `Every milestone of a request (acknowledgement, verification, extension, denial,
completion) writes a message to the outbox in the transaction that makes it, when a
mail server is configured (` + mail.EnvSMTPURL + ` or mail.smtp_url). The workers
send it; a server that is down makes messages wait (retried with backoff for 72
hours), a refused one (a 5xx bounce) is marked failed. 'messages status' shows the
counts and the messages in trouble, with error classes only (never an address or a
text); 'messages retry ID' puts a failed message back in the queue.`,
	}
	var (
		af     appFlags
		asJSON bool
	)
	status := &cobra.Command{
		Use:   "status",
		Short: "Counts of pending, sent and failed messages, and the ones in trouble",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := af.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			st, err := mail.ReadStatus(cmd.Context(), a.Store)
			if err != nil {
				return err
			}
			v := statusView{Configured: a.Mail != nil, Pending: st.Pending, Sent: st.Sent, Failed: st.Failed,
				OldestPending: st.OldestPending, Problems: []messageView{}}
			if a.Mail != nil {
				v.Server = a.Mail.SMTP.String()
			}
			for _, m := range st.Problems {
				v.Problems = append(v.Problems, viewMessage(m))
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			printMessageStatus(cmd.OutOrStdout(), v)
			return nil
		},
	}
	af.add(status)
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var raf appFlags
	retry := &cobra.Command{
		Use:   "retry MESSAGE_ID",
		Short: "Put a failed message back in the queue (after the address or the server was fixed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := raf.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if a.Mail == nil {
				return mail.ErrNotConfigured
			}
			m, err := a.Mail.Retry(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s queued again; the workers send it within %s\n", m.ID, mail.Every)
			return nil
		},
	}
	raf.add(retry)
	cmd.AddCommand(status, retry, newMessagesPreviewCmd())
	return cmd
}

// newMessagesPreviewCmd builds `intercom-privacy messages preview KIND`.
func newMessagesPreviewCmd() *cobra.Command {
	var (
		configPath, jur, lang string
		html, reversed        bool
		categoriesOnly        bool
	)
	cmd := &cobra.Command{
		Use:   "preview KIND",
		Short: "Print a message as a person would receive it, filled with sample values",
		Long: `preview renders one message (` + kindList() + `) for a
jurisdiction and language with the configuration's templates (mail.templates_dir
overrides the built-in ones) and sample values: a made-up request reference, dates,
link and code, corrected field names, objection scopes, an appeal's reason. It
needs no database and sends nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := messages.ParseKind(args[0])
			if err != nil {
				return usageError{err}
			}
			j, err := deadline.ParseJurisdiction(jur)
			if err != nil {
				return usageError{fmt.Errorf("--jurisdiction: %w", err)}
			}
			path := config.Path(configPath)
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			tpl, err := messages.Load(app.TemplatesDir(cfg, path))
			if err != nil {
				return err
			}
			if lang == "" {
				lang = cfg.Mail.Language
			}
			d := previewData(cfg, kind)
			d.Reversed = reversed
			if categoriesOnly {
				// The categories-only answer (CCPA Regs §7024) and how to
				// reach the higher level, at the configured public URL.
				(&messages.Service{PublicURL: previewPublicURL(cfg)}).HigherLevel(&d)
			}
			r, err := tpl.Render(kind, j, lang, d)
			if errors.Is(err, messages.ErrLanguage) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if html {
				fmt.Fprint(w, r.HTML)
				return nil
			}
			fmt.Fprintf(w, "Subject: %s\n\n%s", r.Subject, r.Text)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", envString(config.EnvFile, ""), "YAML configuration file (env "+config.EnvFile+"; built-in defaults when unset)")
	f.StringVar(&jur, "jurisdiction", "gdpr", "the law the request is under (gdpr, ccpa, uk_gdpr, us_va, ...)")
	f.StringVar(&lang, "lang", "", "language of the templates (default: mail.language, else en)")
	f.BoolVar(&html, "html", false, "print the HTML part instead of the subject and text")
	f.BoolVar(&reversed, "reversed", false, "appeal_decided: the appeal is granted (default: the decision is upheld)")
	f.BoolVar(&categoriesOnly, "categories-only", false, "access_completed: the answer gives the categories only (verified to the lower level, CCPA Regs §7024)")
	return cmd
}

// previewPublicURL is the public URL links in a preview point to: the
// configured one, else a placeholder.
func previewPublicURL(cfg *config.Config) string {
	if u := envString(mail.EnvPublicURL, cfg.Mail.PublicURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "https://privacy.example.com"
}

func kindList() string {
	var names []string
	for _, k := range messages.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// previewTypes is the request type each message answers, for its wording.
var previewTypes = map[messages.Kind]store.RequestType{
	messages.ErasureCompleted:     store.RequestErasure,
	messages.CorrectionCompleted:  store.RequestCorrection,
	messages.CorrectionDenied:     store.RequestCorrection,
	messages.RestrictionCompleted: store.RequestRestriction,
	messages.RestrictionLifted:    store.RequestLiftRestriction,
	messages.ObjectionCompleted:   store.RequestObjection,
	messages.AppealDecided:        store.RequestAppeal,
}

// previewData is a made-up request for previews of kind.
func previewData(cfg *config.Config, kind messages.Kind) messages.Data {
	received := time.Now().UTC().Truncate(24 * time.Hour)
	typ, ok := previewTypes[kind]
	if !ok {
		typ = store.RequestAccess
	}
	denial := "(the basis the operator gives)"
	if kind == messages.CorrectionDenied {
		denial = dsar.DenyCorrectionAccurate
	}
	d := messages.Data{
		Controller: cfg.Access.Controller, Contact: cfg.Access.ContactDPO,
		RequestID: "req_00000000000000000000000000000000", RequestWhat: messages.RequestWhat(typ), State: "verified",
		Fields: []string{"name", "phone", "custom_attributes.plan"}, Recipients: 2,
		Scopes:   messages.ScopeTexts([]string{dsar.ScopeMarketing, dsar.ScopeSaleSharing}),
		LinkedID: "req_11111111111111111111111111111111", DecisionReason: "(the reason the operator gives)",
		ReceivedAt: received, DueAt: received.AddDate(0, 1, 0),
		ExtensionReason: "(the reason the operator gives)", DenialReason: denial,
		VerifyURL: "https://privacy.example.com/privacy/verify/EXAMPLE-TOKEN", Code: "123456",
		DownloadURL: "https://privacy.example.com/privacy/download/EXAMPLE-TOKEN", ExpiresAt: received.AddDate(0, 0, 7), DownloadUses: 3,
		RecoveryWindow: messages.RecoveryWindow,
	}
	d.Deleted, d.Kept = messages.Erased(dsar.Outcome{Result: "completed", Counts: map[string]int64{
		"contacts_deleted": 1, "conversations_deleted": 4, "tickets_deleted": 1, "conversations_shared_kept": 1, "suppressed_email": 1}})
	return d
}
