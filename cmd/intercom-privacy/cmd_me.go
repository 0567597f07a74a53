package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/intercom"
)

func init() { register(newMeCmd) }

// newMeCmd builds `intercom-privacy me`: a cheap check of the token, the region and
// the workspace (GET /me). It prints the workspace name, region and app id, and the
// admin's id; never the token.
func newMeCmd() *cobra.Command {
	var (
		apiURL     string
		region     string
		apiVersion string
		timeout    time.Duration
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "me",
		Short: "Check the Intercom token: print the workspace name, region and app id",
		Long: `me calls Intercom's GET /me with the configured access token and prints the
workspace (app) name, its region and app id, and the id of the admin who owns the
token. The token itself is never printed.

The token is read from INTERCOM_ACCESS_TOKEN or the file named by INTERCOM_TOKEN_FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := intercom.ConfigFromEnv()
			cfg.BaseURL, cfg.Region, cfg.Version = apiURL, region, apiVersion
			cfg.Timeout = timeout
			cfg.UserAgent = "intercom-privacy-cli/" + version
			c, err := intercom.New(cfg)
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, meJSON{Workspace: me.App.Name, Region: me.App.Region, AppID: me.App.IDCode,
					AdminID: string(me.ID), APIURL: c.BaseURL(), IntercomVersion: c.Version()})
			}
			fmt.Fprintf(out, "workspace: %s\n", me.App.Name)
			fmt.Fprintf(out, "region:    %s\n", me.App.Region)
			fmt.Fprintf(out, "app id:    %s\n", me.App.IDCode)
			fmt.Fprintf(out, "admin id:  %s\n", me.ID)
			fmt.Fprintf(out, "api:       %s (Intercom-Version %s)\n", c.BaseURL(), c.Version())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&apiURL, "api-url", envString(intercom.EnvAPIURL, ""), "API base URL, e.g. the sandbox's (env "+intercom.EnvAPIURL+"); overrides --region")
	f.StringVar(&region, "region", envString(intercom.EnvRegion, "us"), "Intercom region: us, eu or au (env "+intercom.EnvRegion+")")
	f.StringVar(&apiVersion, "intercom-version", envString(intercom.EnvVersion, intercom.DefaultVersion), "Intercom-Version header to pin (env "+intercom.EnvVersion+")")
	f.DurationVar(&timeout, "timeout", intercom.DefaultTimeout, "timeout of one HTTP request")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// meJSON is the --json output of `me`: the workspace, never the token.
type meJSON struct {
	Workspace       string `json:"workspace"`
	Region          string `json:"region"`
	AppID           string `json:"app_id"`
	AdminID         string `json:"admin_id"`
	APIURL          string `json:"api_url"`
	IntercomVersion string `json:"intercom_version"`
}
