// Command build-image builds intercom-privacy's container image without a
// container daemon and without pulling anything from an image registry: a
// static binary (CGO_ENABLED=0), the build host's CA bundle, Go's time-zone
// database and a non-root user, in one layer on an empty base, assembled with
// go-containerregistry. It writes a tarball that `docker load` and `podman
// load` read, and optionally an OCI image layout directory (skopeo, crane,
// containerd's ctr import). It then checks what it wrote: the files, the user,
// the entrypoint, the data volume, and that the binary inside runs `version`.
//
//	go run ./deploy/build-image                       # builds the binary too
//	go run ./deploy/build-image -binary ./intercom-privacy -version 1.2.0
//	go run ./deploy/build-image -verify dist/intercom-privacy-image.tar
//	docker load -i dist/intercom-privacy-image.tar
//
// The image runs as uid 65532, with /data (the working directory and HOME)
// as its only volume, so it runs with a read-only root file system; /tmp
// should be a tmpfs or emptyDir for bulk-export downloads.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// defaultVersion labels an image built without -version.
const defaultVersion = "0.1.0-dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	binary, arch, version, revision string
	created                         string
	ca, zoneinfo                    string
	out, oci, tag                   string
	verify                          string
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("build-image", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "", "linux binary to put in the image (default: build ./cmd/intercom-privacy with CGO_ENABLED=0)")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "GOARCH of the image (amd64 or arm64)")
	fs.StringVar(&o.version, "version", defaultVersion, "release version: linked into the binary built (-X main.version) and the image label")
	fs.StringVar(&o.revision, "revision", "", "source revision label (default: git rev-parse HEAD, when git answers)")
	fs.StringVar(&o.created, "created", "", "creation time, RFC 3339 or Unix seconds (default: SOURCE_DATE_EPOCH, else the commit time, else 1970-01-01), so that rebuilds are identical")
	fs.StringVar(&o.ca, "ca", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle to install as "+CABundlePath)
	fs.StringVar(&o.zoneinfo, "zoneinfo", "", "Go's zoneinfo.zip (default: $(go env GOROOT)/lib/time/zoneinfo.zip)")
	fs.StringVar(&o.out, "out", filepath.Join("dist", "intercom-privacy-image.tar"), "image tarball to write, for docker load or podman load")
	fs.StringVar(&o.oci, "oci", "", "also write an OCI image layout into this directory")
	fs.StringVar(&o.tag, "tag", "", "image name and tag recorded in the tarball (default intercom-privacy:<version>)")
	fs.StringVar(&o.verify, "verify", "", "only check an existing image tarball (and run its binary's version) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("build-image: unexpected argument %q", fs.Arg(0))
	}
	ctx := context.Background()
	if o.verify != "" {
		img, err := tarball.ImageFromPath(o.verify, nil)
		if err != nil {
			return fmt.Errorf("build-image: read %s: %w", o.verify, err)
		}
		return verifyAndRun(ctx, img, os.Stdout)
	}
	if o.tag == "" {
		o.tag = "intercom-privacy:" + strings.TrimPrefix(o.version, "v")
	}
	tag, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("build-image: -tag %q: %w", o.tag, err)
	}
	in, err := gather(ctx, o)
	if err != nil {
		return err
	}
	img, err := Build(in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return fmt.Errorf("build-image: %w", err)
	}
	tmp := o.out + ".partial"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		return fmt.Errorf("build-image: write %s: %w", o.out, err)
	}
	if err := os.Rename(tmp, o.out); err != nil {
		return fmt.Errorf("build-image: %w", err)
	}
	if o.oci != "" {
		if err := writeLayout(o.oci, img, o.tag); err != nil {
			return err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s, %s)\n", o.out, tag.Name(), digest)
	if o.oci != "" {
		fmt.Printf("wrote OCI layout %s\n", o.oci)
	}
	// Check what was written, read back from the file.
	back, err := tarball.ImageFromPath(o.out, &tag)
	if err != nil {
		return fmt.Errorf("build-image: read back %s: %w", o.out, err)
	}
	return verifyAndRun(ctx, back, os.Stdout)
}

// gather reads (or builds) every input.
func gather(ctx context.Context, o options) (Inputs, error) {
	in := Inputs{Arch: o.arch, Version: o.version, Revision: o.revision}
	var err error
	if in.Revision == "" {
		in.Revision = gitOutput(ctx, "rev-parse", "HEAD")
	}
	if in.Created, err = creationTime(ctx, o.created); err != nil {
		return in, err
	}
	if o.binary == "" {
		dir, err := os.MkdirTemp("", "build-image-")
		if err != nil {
			return in, err
		}
		defer os.RemoveAll(dir)
		o.binary = filepath.Join(dir, "intercom-privacy")
		if err := BuildBinary(ctx, o.binary, o.arch, o.version); err != nil {
			return in, err
		}
	}
	if in.Binary, err = readFile(o.binary, "the binary"); err != nil {
		return in, err
	}
	if in.CABundle, err = readFile(o.ca, "the CA bundle (install ca-certificates, or pass -ca)"); err != nil {
		return in, err
	}
	if o.zoneinfo == "" {
		root, err := goEnv(ctx, "GOROOT")
		if err != nil {
			return in, err
		}
		o.zoneinfo = filepath.Join(root, "lib", "time", "zoneinfo.zip")
	}
	if in.Zoneinfo, err = readFile(o.zoneinfo, "the time-zone data"); err != nil {
		return in, err
	}
	return in, nil
}

// BuildBinary builds ./cmd/intercom-privacy for linux/arch, static and
// stripped of local paths, with version linked in.
func BuildBinary(ctx context.Context, out, arch, version string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=auto",
		"-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/intercom-privacy")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if root, err := moduleRoot(ctx); err == nil {
		cmd.Dir = root
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build-image: go build: %w\n%s", err, stderr.String())
	}
	return nil
}

// verifyAndRun checks img and, when this machine can run its binary, runs
// `version --json` from it.
func verifyAndRun(ctx context.Context, img v1.Image, w *os.File) error {
	bin, err := Verify(img)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "checked: user %s, entrypoint %v, volume %s, static binary, CA bundle, time zones\n",
		cfg.Config.User, cfg.Config.Entrypoint, DataDir)
	if runtime.GOOS != "linux" || runtime.GOARCH != cfg.Architecture {
		fmt.Fprintf(w, "not running the binary: this machine is %s/%s, the image linux/%s\n", runtime.GOOS, runtime.GOARCH, cfg.Architecture)
		return nil
	}
	v, err := RunVersion(ctx, bin)
	if err != nil {
		return err
	}
	if err := CheckRevision(v, cfg.Config.Labels[LabelRevision]); err != nil {
		return err
	}
	rev := v.Revision
	if rev == "" {
		rev = "none: built with -buildvcs=false (see `go env GOFLAGS`) or outside a git checkout"
	}
	fmt.Fprintf(w, "the binary inside runs: intercom-privacy %s (%s, CGO_ENABLED=%s, revision %s)\n", v.Version, v.GoVersion, v.CGO, rev)
	return nil
}

// LabelRevision is the image label naming the source revision.
const LabelRevision = "org.opencontainers.image.revision"

// CheckRevision compares the source revision the binary reports (`version
// --json`, from the build information go build stamps in a git checkout) with
// the image's revision label: an image labelled with a commit must not hold a
// binary built from another one, or the label and a bug report quoting
// `version` would disagree. An image without the label, or a binary built
// without VCS information (-buildvcs=false, which a go env may set), is not
// checked: the run says the binary reports no revision.
func CheckRevision(v VersionOutput, label string) error {
	switch {
	case label == "", v.Revision == "":
		return nil
	case v.Revision != label:
		return fmt.Errorf("build-image: the image is labelled revision %s but the binary was built from %s: rebuild the binary, or pass -revision %s", label, v.Revision, v.Revision)
	}
	return nil
}

// VersionOutput is what RunVersion reads of `version --json`.
type VersionOutput struct {
	Version      string            `json:"version"`
	Revision     string            `json:"vcs_revision"`
	Modified     bool              `json:"vcs_modified"`
	GoVersion    string            `json:"go_version"`
	CGO          string            `json:"cgo_enabled"`
	Dependencies map[string]string `json:"dependencies"`
}

// RunVersion writes bin to a temporary file, runs `version --json` with an
// empty environment (as in the image: no database, no key) and checks it
// reports a static build with the key libraries' versions.
func RunVersion(ctx context.Context, bin []byte) (VersionOutput, error) {
	var v VersionOutput
	dir, err := os.MkdirTemp("", "build-image-run-")
	if err != nil {
		return v, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "intercom-privacy")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		return v, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, "version", "--json")
	cmd.Env = []string{"HOME=" + dir}
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return v, fmt.Errorf("build-image: the binary in the image does not run `version`: %w\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		return v, fmt.Errorf("build-image: `version --json` printed no JSON: %w", err)
	}
	var problems []string
	if v.CGO != "0" {
		problems = append(problems, fmt.Sprintf("cgo_enabled is %q, want \"0\"", v.CGO))
	}
	for _, d := range []string{"river", "pgx", "sqlite", "tink"} {
		if !strings.HasPrefix(v.Dependencies[d], "v") {
			problems = append(problems, fmt.Sprintf("%s version is %q", d, v.Dependencies[d]))
		}
	}
	if len(problems) > 0 {
		return v, errors.New("build-image: `version --json` of the binary in the image: " + strings.Join(problems, "; "))
	}
	return v, nil
}

// writeLayout writes img into an OCI image layout at dir, named by ref.
func writeLayout(dir string, img v1.Image, ref string) error {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return fmt.Errorf("build-image: %s already holds an OCI layout; remove it first", dir)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("build-image: OCI layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
		return fmt.Errorf("build-image: OCI layout %s: %w", dir, err)
	}
	return nil
}

// creationTime parses -created, or takes SOURCE_DATE_EPOCH, the commit time,
// or the Unix epoch.
func creationTime(ctx context.Context, flagValue string) (time.Time, error) {
	v := flagValue
	if v == "" {
		v = os.Getenv("SOURCE_DATE_EPOCH")
	}
	if v == "" {
		v = gitOutput(ctx, "log", "-1", "--format=%ct")
	}
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("build-image: creation time %q: want RFC 3339 or Unix seconds", v)
	}
	return t.UTC(), nil
}

// gitOutput runs git and returns its trimmed output, or "" when git fails.
func gitOutput(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func goEnv(ctx context.Context, key string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("build-image: go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	gomod, err := goEnv(ctx, "GOMOD")
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("build-image: not inside the module")
	}
	return filepath.Dir(gomod), nil
}
