package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are inside the image, and who runs it.
const (
	BinaryPath   = "/usr/local/bin/intercom-privacy"
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// ZoneinfoPath holds Go's time-zone database (the toolchain's
	// lib/time/zoneinfo.zip); ZONEINFO points the binary at it.
	ZoneinfoPath = "/usr/share/zoneinfo.zip"
	DataDir      = "/data"
	TmpDir       = "/tmp"
	// UID and GID of the non-root user "intercom-privacy".
	UID, GID = 65532, 65532
	UserName = "intercom-privacy"
	// Port serve listens on inside the image.
	Port = 8080
)

// Inputs are the files an image is made of.
type Inputs struct {
	// Binary is the statically linked linux binary (CGO_ENABLED=0).
	Binary []byte
	// CABundle is the PEM bundle of trusted roots (the build host's).
	CABundle []byte
	// Zoneinfo is Go's zoneinfo.zip.
	Zoneinfo []byte
	// Arch is the binary's GOARCH (amd64, arm64).
	Arch string
	// Version, Revision and Created label the image (OCI annotations keys);
	// Created is also the image's creation time and every file's mtime, so a
	// rebuild from the same inputs gives the same digest.
	Version, Revision string
	Created           time.Time
}

// file is one entry of the image's only layer.
type file struct {
	name string
	mode int64
	dir  bool
	uid  int
	data []byte
}

// Build assembles the image: one layer on an empty base, run as the non-root
// user, entrypoint the binary, /data the one writable volume.
func Build(in Inputs) (v1.Image, error) {
	if err := checkInputs(in); err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", UserName, UID, GID, UserName, DataDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, GID)
	files := []file{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/ssl/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(CABundlePath, "/"), mode: 0o644, data: in.CABundle},
		{name: "usr/", dir: true, mode: 0o755},
		{name: "usr/local/", dir: true, mode: 0o755},
		{name: "usr/local/bin/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, data: in.Binary},
		{name: "usr/share/", dir: true, mode: 0o755},
		{name: strings.TrimPrefix(ZoneinfoPath, "/"), mode: 0o644, data: in.Zoneinfo},
		{name: strings.TrimPrefix(DataDir, "/") + "/", dir: true, mode: 0o700, uid: UID},
		{name: strings.TrimPrefix(TmpDir, "/") + "/", dir: true, mode: 0o1777},
	}
	layerTar, err := tarFiles(files, in.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("build-image: layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	created := v1.Time{Time: in.Created.UTC()}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{Created: created, CreatedBy: "intercom-privacy deploy/build-image", Comment: "binary, CA bundle, time zones, user"}})
	if err != nil {
		return nil, fmt.Errorf("build-image: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build-image: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = created
	cfg.OS, cfg.Architecture = "linux", in.Arch
	labels := map[string]string{
		"org.opencontainers.image.title":       "intercom-privacy",
		"org.opencontainers.image.description": "GDPR and CCPA requests, retention and redaction for Intercom data",
		"org.opencontainers.image.version":     in.Version,
		"org.opencontainers.image.created":     in.Created.UTC().Format(time.RFC3339),
	}
	if in.Revision != "" {
		labels[LabelRevision] = in.Revision
	}
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", UID, GID),
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"serve"},
		WorkingDir: DataDir,
		Env: []string{
			"PATH=/usr/local/bin",
			"HOME=" + DataDir,
			"TMPDIR=" + TmpDir,
			"ZONEINFO=" + ZoneinfoPath,
			"SSL_CERT_FILE=" + CABundlePath,
			fmt.Sprintf("INTERCOM_PRIVACY_ADDR=:%d", Port),
		},
		ExposedPorts: map[string]struct{}{fmt.Sprintf("%d/tcp", Port): {}},
		Volumes:      map[string]struct{}{DataDir: {}},
		Labels:       labels,
		StopSignal:   "SIGTERM",
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("build-image: %w", err)
	}
	return img, nil
}

// checkInputs refuses what would make an image that cannot run.
func checkInputs(in Inputs) error {
	if err := checkStatic(in.Binary); err != nil {
		return err
	}
	if err := checkPEM(in.CABundle); err != nil {
		return err
	}
	if len(in.Zoneinfo) < 4 || string(in.Zoneinfo[:4]) != "PK\x03\x04" {
		return errors.New("build-image: the time-zone data is not a zip file (want Go's lib/time/zoneinfo.zip)")
	}
	if in.Arch == "" || in.Version == "" || in.Created.IsZero() {
		return errors.New("build-image: Arch, Version and Created are required")
	}
	return nil
}

// checkStatic fails unless b is a Linux ELF executable with no dynamic
// loader: the image has no libc.
func checkStatic(b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("build-image: the binary is not an ELF executable (build it with GOOS=linux): %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("build-image: the binary is dynamically linked; the image has no C library: build it with CGO_ENABLED=0")
		}
	}
	return nil
}

// checkPEM fails unless b holds at least one certificate.
func checkPEM(b []byte) error {
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return errors.New("build-image: the CA bundle holds no PEM certificate")
		}
		if blk.Type == "CERTIFICATE" {
			return nil
		}
	}
}

// tarFiles writes files as a tar, in order, owned by root unless uid is set,
// every mtime at created.
func tarFiles(files []file, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: created.UTC(), Uid: f.uid, Gid: f.uid, Format: tar.FormatPAX}
		if f.uid != 0 {
			h.Uname, h.Gname = UserName, UserName
		} else {
			h.Uname, h.Gname = "root", "root"
		}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("build-image: tar %s: %w", f.name, err)
		}
		if !f.dir {
			if _, err := tw.Write(f.data); err != nil {
				return nil, fmt.Errorf("build-image: tar %s: %w", f.name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Entry is a file found in an image by Inspect.
type Entry struct {
	Mode     int64
	Uid, Gid int
	Dir      bool
	Data     []byte
}

// Inspect flattens img's layers into its files (path without the leading
// slash → entry), keeping the contents of regular files.
func Inspect(img v1.Image) (map[string]Entry, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]Entry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("build-image: read the image's files: %w", err)
		}
		e := Entry{Mode: h.Mode, Uid: h.Uid, Gid: h.Gid, Dir: h.Typeflag == tar.TypeDir}
		if h.Typeflag == tar.TypeReg {
			if e.Data, err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
		out[path.Clean(strings.TrimPrefix(h.Name, "/"))] = e
	}
}

// Verify checks an image's configuration and files: the non-root user (in
// /etc/passwd), the entrypoint, the data volume, a static binary, the CA
// bundle and the time zones. It returns the binary for a caller to run.
func Verify(img v1.Image) ([]byte, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build-image: read the configuration: %w", err)
	}
	c := cfg.Config
	if want := fmt.Sprintf("%d:%d", UID, GID); c.User != want {
		bad("user is %q, want %q (non-root)", c.User, want)
	}
	if !slices.Equal(c.Entrypoint, []string{BinaryPath}) {
		bad("entrypoint is %q, want [%s]", c.Entrypoint, BinaryPath)
	}
	if _, ok := c.Volumes[DataDir]; !ok || c.WorkingDir != DataDir {
		bad("the data volume and working directory should be %s (volumes %v, working dir %q)", DataDir, c.Volumes, c.WorkingDir)
	}
	for _, want := range []string{"ZONEINFO=" + ZoneinfoPath, "TMPDIR=" + TmpDir} {
		if !slices.Contains(c.Env, want) {
			bad("environment lacks %s", want)
		}
	}
	if cfg.OS != "linux" {
		bad("OS is %q", cfg.OS)
	}
	files, err := Inspect(img)
	if err != nil {
		return nil, err
	}
	get := func(p string) (Entry, bool) {
		e, ok := files[strings.TrimPrefix(p, "/")]
		if !ok {
			bad("%s is missing", p)
		}
		return e, ok
	}
	bin, ok := get(BinaryPath)
	if ok {
		if bin.Mode&0o111 == 0 || bin.Uid != 0 {
			bad("%s: mode %o owner %d, want executable and owned by root (not writable by the user)", BinaryPath, bin.Mode, bin.Uid)
		}
		if err := checkStatic(bin.Data); err != nil {
			bad("%v", err)
		}
	}
	if ca, ok := get(CABundlePath); ok {
		if err := checkPEM(ca.Data); err != nil {
			bad("%v", err)
		}
	}
	if z, ok := get(ZoneinfoPath); ok && (len(z.Data) < 4 || string(z.Data[:4]) != "PK\x03\x04") {
		bad("%s is not a zip file", ZoneinfoPath)
	}
	if pw, ok := get("/etc/passwd"); ok && !strings.Contains(string(pw.Data), fmt.Sprintf("%s:x:%d:%d:", UserName, UID, GID)) {
		bad("/etc/passwd has no %s user with uid %d", UserName, UID)
	}
	if d, ok := get(DataDir); ok && (!d.Dir || d.Uid != UID) {
		bad("%s is not a directory owned by uid %d", DataDir, UID)
	}
	if d, ok := get(TmpDir); ok && (!d.Dir || d.Mode&0o1777 != 0o1777) {
		bad("%s is not a world-writable sticky directory", TmpDir)
	}
	for name, e := range files {
		if e.Dir {
			continue
		}
		switch "/" + name {
		case BinaryPath, CABundlePath, ZoneinfoPath, "/etc/passwd", "/etc/group":
		default:
			bad("unexpected file /%s (the image holds only the binary, the CA bundle, time zones and the user)", name)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("build-image: the image is not right:\n  %s", strings.Join(problems, "\n  "))
	}
	return bin.Data, nil
}

// readFile reads a file, naming it in the error.
func readFile(p, what string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("build-image: %s: %w", what, err)
	}
	return b, nil
}
