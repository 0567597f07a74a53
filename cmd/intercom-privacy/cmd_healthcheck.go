package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/health"
)

func init() { register(newHealthcheckCmd) }

// newHealthcheckCmd builds `intercom-privacy healthcheck`: probe a running
// serve or worker from inside its container (the image has no curl or shell).
func newHealthcheckCmd() *cobra.Command {
	var (
		target  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Probe a running serve or worker (/readyz by default): exit 0 when it answers 2xx",
		Long: `healthcheck sends GET to --url and exits 0 when the answer is 2xx, 1 otherwise,
printing what it got. It exists for container health checks: the image holds no
shell and no HTTP client but this binary.

  HEALTHCHECK / compose:  ["CMD", "/usr/local/bin/intercom-privacy", "healthcheck"]
  a worker:               healthcheck --url http://127.0.0.1:8081/readyz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("--url %s: want http://host:port/path", shownArg(target))
			}
			if err := checkPositive("--timeout", timeout); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %s: no answer: %w", u.Redacted(), err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				return fmt.Errorf("healthcheck: %s answered %s:\n%s", u.Redacted(), resp.Status, body)
			}
			_, err = cmd.OutOrStdout().Write(body)
			return err
		},
	}
	cmd.Flags().StringVar(&target, "url", "http://127.0.0.1:8080"+health.PathReady, "what to probe")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}
