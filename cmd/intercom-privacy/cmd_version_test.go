package main

import (
	"encoding/json"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

func TestBuildVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/intercom-privacy/intercom-privacy", Version: "v1.4.2"},
		Deps: []*debug.Module{
			{Path: "github.com/riverqueue/river", Version: "v0.51.2"},
			{Path: "github.com/jackc/pgx/v5", Version: "v5.12.0"},
			{Path: "modernc.org/sqlite", Version: "v1.62.0", Replace: &debug.Module{Path: "modernc.org/sqlite", Version: "v1.62.1"}},
			{Path: "github.com/spf13/cobra", Version: "v1.10.2"},
		},
		Settings: []debug.BuildSetting{
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-06T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	v := buildVersion(devVersion, bi)
	if v.Version != "v1.4.2" {
		t.Errorf("Version = %q: a development build installed at a module version reports that version", v.Version)
	}
	if v.Revision != "0123456789abcdef" || v.Time != "2026-12-06T10:00:00Z" || !v.Modified || v.CGO != "0" || v.GoVersion != "go1.26.0" {
		t.Errorf("vcs and toolchain = %+v", v)
	}
	want := map[string]string{"river": "v0.51.2", "pgx": "v5.12.0", "sqlite": "v1.62.1", "tink": "unknown"}
	for k, w := range want {
		if v.Dependencies[k] != w {
			t.Errorf("Dependencies[%s] = %q, want %q", k, v.Dependencies[k], w)
		}
	}
	if _, ok := v.Dependencies["cobra"]; ok {
		t.Error("only the key libraries are listed")
	}
	var b strings.Builder
	v.writeText(&b)
	for _, s := range []string{"intercom-privacy v1.4.2", "0123456789abcdef (with uncommitted changes)", "river v0.51.2", "sqlite v1.62.1", "CGO_ENABLED=0"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, b.String())
		}
	}

	// A release version given at link time wins over the module version.
	if v := buildVersion("2.0.0", bi); v.Version != "2.0.0" {
		t.Errorf("Version = %q, want the -X main.version value", v.Version)
	}
	// A checkout build: "(devel)" never replaces the development version.
	bi.Main.Version = "(devel)"
	if v := buildVersion(devVersion, bi); v.Version != devVersion {
		t.Errorf("Version = %q, want %q", v.Version, devVersion)
	}
	// No build information at all.
	v = buildVersion(devVersion, nil)
	if v.Module != "unknown" || v.Dependencies["river"] != "unknown" {
		t.Errorf("without build info: %+v", v)
	}
	b.Reset()
	v.writeText(&b)
	if !strings.Contains(b.String(), "built without VCS information") {
		t.Errorf("text without revision:\n%s", b.String())
	}
}

func TestVersionCommand(t *testing.T) {
	out, err := dsarCLI(t, "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	// A test binary carries the dependencies' versions too.
	if v.Module != "github.com/intercom-privacy/intercom-privacy" || !strings.HasPrefix(v.GoVersion, "go") {
		t.Errorf("version --json = %+v", v)
	}
	for _, d := range keyDependencies {
		if got := v.Dependencies[d.name]; !strings.HasPrefix(got, "v") {
			t.Errorf("%s version = %q, want the module version from the build information", d.name, got)
		}
	}
	text, err := dsarCLI(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	flag, err := dsarCLI(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if text != flag || !strings.Contains(text, "libraries: river v") {
		t.Errorf("version and --version differ or lack the libraries:\n%s\n---\n%s", text, flag)
	}
}

// TestVersionJSONFields pins the names of `version --json`'s fields: tools
// read them (deploy/build-image reads version, vcs_revision, go_version,
// cgo_enabled and dependencies from the binary in the image), so a renamed
// field is a breaking change this test makes visible.
func TestVersionJSONFields(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/intercom-privacy/intercom-privacy", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-06T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	b, err := json.Marshal(buildVersion("1.2.0", bi))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"cgo_enabled", "dependencies", "go_version", "module", "module_version", "platform", "vcs_modified", "vcs_revision", "vcs_time", "version"}
	if !slices.Equal(keys, want) {
		t.Errorf("version --json fields %v, want %v", keys, want)
	}
	var deps map[string]string
	if err := json.Unmarshal(m["dependencies"], &deps); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range deps {
		names = append(names, k)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"pgx", "river", "sqlite", "tink"}) {
		t.Errorf("dependencies %v, want pgx, river, sqlite, tink", names)
	}
}
