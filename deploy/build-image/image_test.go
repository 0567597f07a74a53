package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const hostCA = "/etc/ssl/certs/ca-certificates.crt"

// zoneinfo returns Go's zoneinfo.zip, or skips.
func zoneinfo(t *testing.T) []byte {
	t.Helper()
	root, err := goEnv(context.Background(), "GOROOT")
	if err != nil {
		t.Skipf("the go command is not available: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("no zoneinfo.zip in GOROOT: %v", err)
	}
	return b
}

func hostCABundle(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(hostCA)
	if err != nil {
		t.Skipf("no CA bundle at %s (install ca-certificates): %v", hostCA, err)
	}
	return b
}

// envTestBinary names the static binary TestImageBuildsRunsAndChecks puts in
// an image. Building it takes minutes on a busy machine, so the test does not:
// .ci/run builds it once (CGO_ENABLED=0, as the release) and runs this test
// with it.
const envTestBinary = "BUILD_IMAGE_BINARY"

// TestImageBuildsRunsAndChecks builds an image from the static binary, writes
// the docker/podman tarball and an OCI layout, reads the tarball back, checks
// the user, entrypoint, volume and files, runs the binary inside with
// `version`, and proves the checks fail on a changed image.
func TestImageBuildsRunsAndChecks(t *testing.T) {
	bin := os.Getenv(envTestBinary)
	if bin == "" {
		t.Skipf("%s is not set: build a static binary (CGO_ENABLED=0 go build -o dist/intercom-privacy ./cmd/intercom-privacy) and point it there; .ci/run does", envTestBinary)
	}
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux binary inside the image")
	}
	ctx := context.Background()
	dir := t.TempDir()
	binData, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{Binary: binData, CABundle: hostCABundle(t), Zoneinfo: zoneinfo(t), Arch: runtime.GOARCH,
		Version: "9.9.9-test", Revision: "abc", Created: time.Unix(1700000000, 0)}
	img, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	// Same inputs, same image.
	again, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds from the same inputs differ: %s, %s", d1, d2)
	}

	tag, _ := name.NewTag("intercom-privacy:9.9.9-test")
	out := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	inside, err := Verify(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inside, binData) {
		t.Fatal("the binary read back differs from the one built")
	}
	v, err := RunVersion(ctx, inside)
	if err != nil {
		t.Fatal(err)
	}
	if v.CGO != "0" {
		t.Errorf("version inside the image: %+v", v)
	}
	// A binary that names its commit (.ci/run builds with -buildvcs=auto in
	// the clone) is refused in an image labelled with another one.
	if v.Revision != "" {
		if err := CheckRevision(v, v.Revision); err != nil {
			t.Error(err)
		}
		if err := CheckRevision(v, "abc"); err == nil {
			t.Error("an image labelled with another revision than the binary's was accepted")
		}
	} else {
		t.Log("the binary reports no VCS revision (built with -buildvcs=false or outside a git checkout): the revision check is not exercised")
	}

	// The OCI layout holds the same image.
	ociDir := filepath.Join(dir, "oci")
	if err := writeLayout(ociDir, img, tag.String()); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(ociDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 || m.Manifests[0].Digest != d1 {
		t.Fatalf("OCI layout index: %+v %v, want one manifest %s", m, err, d1)
	}
	if err := writeLayout(ociDir, img, tag.String()); err == nil {
		t.Error("writing over an existing layout was accepted")
	}

	// The checks catch a changed image.
	for _, tc := range []struct {
		name   string
		change func(v1.Config) v1.Config
		want   string
	}{
		{"root user", func(c v1.Config) v1.Config { c.User = "0:0"; return c }, "non-root"},
		{"shell entrypoint", func(c v1.Config) v1.Config { c.Entrypoint = []string{"/bin/sh"}; return c }, "entrypoint"},
		{"no volume", func(c v1.Config) v1.Config { c.Volumes = nil; return c }, "data volume"},
	} {
		bad, err := mutate.Config(img, tc.change(mustConfig(t, img)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(bad); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want a complaint about %q", tc.name, err, tc.want)
		}
	}
	extra, err := tarFiles([]file{{name: "bin/", dir: true, mode: 0o755}, {name: "bin/sh", mode: 0o755, data: []byte("#!")}}, in.Created)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromReader(bytes.NewReader(extra))
	if err != nil {
		t.Fatal(err)
	}
	withShell, err := mutate.AppendLayers(img, layer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(withShell); err == nil || !strings.Contains(err.Error(), "unexpected file /bin/sh") {
		t.Errorf("an image with a shell: Verify = %v", err)
	}
}

func mustConfig(t *testing.T, img v1.Image) v1.Config {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return *cfg.Config.DeepCopy()
}

// TestBuildRefusesBadInputs needs no build: a dynamically linked binary, a
// file that is not a binary, a CA bundle with no certificate, time zones that
// are not a zip.
func TestBuildRefusesBadInputs(t *testing.T) {
	ca, tz := hostCABundle(t), zoneinfo(t)
	created := time.Unix(0, 0)
	base := Inputs{CABundle: ca, Zoneinfo: tz, Arch: "amd64", Version: "x", Created: created}
	dynamic, err := os.ReadFile("/bin/ls")
	if err == nil {
		in := base
		in.Binary = dynamic
		if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
			t.Errorf("a dynamically linked binary: %v", err)
		}
	}
	in := base
	in.Binary = []byte("#!/bin/sh\necho hi\n")
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("a script: %v", err)
	}
	if err := checkPEM([]byte("not a certificate")); err == nil {
		t.Error("a CA bundle without certificates was accepted")
	}
	if err := checkPEM(ca); err != nil {
		t.Errorf("the host's CA bundle: %v", err)
	}
	in = base
	in.Binary = dynamic
	in.Zoneinfo = []byte("TZif2")
	if err := checkInputs(in); err == nil {
		t.Error("bad inputs accepted")
	}
}

// TestCheckRevision: the image's revision label must be the binary's.
func TestCheckRevision(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		binary, label, want string
	}{
		{rev, rev, ""},
		{rev, "", ""},
		{"", "", ""},
		{"", rev, ""},
		{rev, "fedcba", "built from " + rev},
	} {
		err := CheckRevision(VersionOutput{Revision: tc.binary}, tc.label)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("binary %q, label %q: %v, want %q", tc.binary, tc.label, err, tc.want)
		}
	}
}

func TestCreationTime(t *testing.T) {
	ctx := context.Background()
	for in, want := range map[string]time.Time{
		"1700000000":           time.Unix(1700000000, 0).UTC(),
		"2026-12-06T10:00:00Z": time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC),
	} {
		got, err := creationTime(ctx, in)
		if err != nil || !got.Equal(want) {
			t.Errorf("creationTime(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := creationTime(ctx, "yesterday"); err == nil {
		t.Error("an unparsable time was accepted")
	}
	t.Setenv("SOURCE_DATE_EPOCH", "42")
	if got, _ := creationTime(ctx, ""); !got.Equal(time.Unix(42, 0)) {
		t.Errorf("SOURCE_DATE_EPOCH: %v", got)
	}
}
