package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

// keyDependencies are the modules whose versions `version` prints: the ones
// that decide how data is stored, queued and encrypted.
var keyDependencies = []struct{ name, path string }{
	{"river", "github.com/riverqueue/river"},
	{"pgx", "github.com/jackc/pgx/v5"},
	{"sqlite", "modernc.org/sqlite"},
	{"tink", "github.com/tink-crypto/tink-go/v2"},
}

// versionInfo is what `version` prints, from the binary's build information.
type versionInfo struct {
	// Version is the release version: main.version when set at build time
	// (-ldflags -X main.version=...), else the module version ("(devel)" for a
	// build from a checkout).
	Version string `json:"version"`
	// Module and ModuleVersion are the main module's path and version as the
	// Go toolchain recorded them.
	Module        string `json:"module"`
	ModuleVersion string `json:"module_version"`
	// Revision, Time and Modified come from the version control system when
	// the binary was built with -buildvcs (the default in a git checkout).
	Revision string `json:"vcs_revision,omitempty"`
	Time     string `json:"vcs_time,omitempty"`
	Modified bool   `json:"vcs_modified,omitempty"`
	// GoVersion is the toolchain that built the binary; Platform GOOS/GOARCH.
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	// CGO is the CGO_ENABLED build setting ("0" for the static image build).
	CGO string `json:"cgo_enabled,omitempty"`
	// Dependencies maps river, pgx, sqlite and tink to their module versions.
	Dependencies map[string]string `json:"dependencies"`
}

// readVersion describes the running binary.
func readVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return buildVersion(version, bi)
}

// buildVersion turns build information into versionInfo. release is
// main.version; bi may be nil (a binary built without module support).
func buildVersion(release string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: release, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Dependencies: map[string]string{}}
	for _, d := range keyDependencies {
		v.Dependencies[d.name] = "unknown"
	}
	if bi == nil {
		v.Module, v.ModuleVersion = "unknown", "unknown"
		return v
	}
	v.GoVersion = bi.GoVersion
	v.Module, v.ModuleVersion = bi.Main.Path, bi.Main.Version
	if v.Version == "" || v.Version == devVersion {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "CGO_ENABLED":
			v.CGO = s.Value
		}
	}
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		for _, d := range keyDependencies {
			if m.Path == d.path {
				v.Dependencies[d.name] = m.Version
			}
		}
	}
	return v
}

// writeText prints v as `version` and `--version` do.
func (v versionInfo) writeText(w io.Writer) {
	fmt.Fprintf(w, "intercom-privacy %s\n", v.Version)
	fmt.Fprintf(w, "  module:    %s %s\n", v.Module, v.ModuleVersion)
	rev := v.Revision
	switch {
	case rev == "":
		rev = "unknown (built without VCS information)"
	case v.Modified:
		rev += " (with uncommitted changes)"
	}
	fmt.Fprintf(w, "  revision:  %s\n", rev)
	if v.Time != "" {
		fmt.Fprintf(w, "  committed: %s\n", v.Time)
	}
	fmt.Fprintf(w, "  go:        %s %s", v.GoVersion, v.Platform)
	if v.CGO != "" {
		fmt.Fprintf(w, " (CGO_ENABLED=%s)", v.CGO)
	}
	fmt.Fprintln(w)
	deps := make([]string, 0, len(keyDependencies))
	for _, d := range keyDependencies {
		deps = append(deps, d.name+" "+v.Dependencies[d.name])
	}
	fmt.Fprintf(w, "  libraries: %s\n", strings.Join(deps, ", "))
}

// newVersionCmd builds `intercom-privacy version`.
func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision, the Go version and the key libraries' versions",
		Long: `version prints what this binary is: its release version, the module version
and source revision (commit and commit time, when the binary was built from a
git checkout), the Go toolchain and platform, and the versions of the libraries
that decide how data is stored, queued and encrypted (River, pgx, modernc
SQLite, Tink). --version prints the same text. It reads only the binary's
build information: no database, key or network is needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readVersion()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			v.writeText(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version information as JSON")
	return cmd
}

// versionTemplate is the root command's --version output: the text of
// `version` (cobra's template language cannot call writeText, so it is
// rendered once when the root command is built).
func versionTemplate() string {
	var b strings.Builder
	readVersion().writeText(&b)
	return strings.ReplaceAll(b.String(), "{{", "{{`{{`}}")
}
