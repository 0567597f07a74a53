package dsar

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The access half of privacy requests (GDPR Art. 15 and 20, CCPA right to know).
//
// BuildPackage runs in three phases, none of which holds a transaction across a
// network call:
//
//  1. collect (access_collect.go): every Intercom call, in parallel under the
//     client's shared rate budget (Service.Parallelism calls in flight);
//  2. assemble (access_assemble.go, access_profile.go, access_redact.go,
//     access_local.go): the profile split into provided / observed / derived, the
//     third-party redaction, the local store's rows decrypted, the notices, all
//     sorted so the package is reproducible;
//  3. store: the zip (accesspkg.Build) encrypted under a key of the package's own
//     (packageKeyID: "package:<request id>/<blob id>", associated data
//     blobs/content/<blob id>) and kept as a blob with its expiry, the key, the
//     blob and access.package_created committed in one transaction.
//
// A process killed before phase 3 commits leaves nothing behind (reading Intercom
// has no effect to repeat); killed after, the next call finds the blob and returns
// it.
//
// Why a key of the package's own: the request's key ("request:<id>") protects the
// identifiers the request was filed with, and an erasure destroys it when it
// completes. The person is still owed their copy until it expires, so the package
// must not depend on that key. The package key lives exactly as long as the
// package: ShredExpiredPackages (worker_shred.go) deletes an expired package with
// its key, and destroys the key of a package that retention or an erasure's purge
// deleted. Packages stored before this design are encrypted under the request's
// key; their blob names it (Blob.PersonKeyID), so they stay readable until they
// expire.

// Errors of access packages. Messages never carry personal data.
var (
	// ErrNoPackage: the request has no access package (it was never built, or it
	// was deleted: by a later erasure of the person, by retention, or by the
	// workers once it expired).
	ErrNoPackage = errors.New("dsar: the request has no access package; run the access request first")
	// ErrPackageExpired: the package is past its expiry (the export retention) and is
	// no longer served; retention deletes it. File a new access request for a fresh
	// copy.
	ErrPackageExpired = errors.New("dsar: the access package has expired; file a new access request for a fresh copy")
)

// Art15Error refuses to build an access package without the information GDPR
// Art. 15(1) and 13(1)(a)-(b) require: who the controller is and how to reach
// their data protection officer. Missing names the settings to add.
type Art15Error struct {
	Missing []string
}

// Error names the settings to add to the configuration file.
func (e *Art15Error) Error() string {
	return "dsar: an access package must name the controller and the data protection officer's contact: set " +
		strings.Join(e.Missing, " and ") + " in the configuration file (" + "INTERCOM_PRIVACY_CONFIG or --config)"
}

// Unwrap returns ErrArt15Incomplete.
func (e *Art15Error) Unwrap() error { return ErrArt15Incomplete }

// ErrArt15Incomplete is wrapped by *Art15Error.
var ErrArt15Incomplete = errors.New("dsar: the Art. 15 information is incomplete")

// checkArt15 refuses a package while the configuration still holds the
// placeholder controller or no DPO contact (the demo configures its own).
func (s *Service) checkArt15() error {
	if missing := s.config().Access.Missing(); len(missing) > 0 {
		return &Art15Error{Missing: missing}
	}
	return nil
}

// DefaultPackageTTL is how long an access package is kept when Service.PackageTTL is
// zero: the export retention.
const DefaultPackageTTL = 7 * 24 * time.Hour

const (
	tableBlobs        = "blobs"
	colBlobContent    = "content"
	accessPackageName = "access-package.zip"
)

// PackageInfo describes a stored access package. SHA256 is the digest of the
// plaintext zip (what the person receives); Size its length.
type PackageInfo struct {
	// BlobID is the stored blob (kind access_package) holding the encrypted zip.
	BlobID string
	// Size and SHA256 (lower-case hex) describe the plaintext zip.
	Size   int64
	SHA256 string
	// Files is the number of files in the zip, manifest.json included.
	Files int
	// ExpiresAt is when the package stops being served (creation + PackageTTL).
	ExpiresAt time.Time
	// Counts are the records per kind ("contacts", "conversations", "messages",
	// "tickets", "notes", "events", "local_contacts", ...; "redactions" only when
	// this call built the package). Never values.
	Counts map[string]int64
}

func (s *Service) packageTTL() time.Duration {
	if s.PackageTTL > 0 {
		return s.PackageTTL
	}
	return DefaultPackageTTL
}

// BuildPackage collects everything held about the person whose contacts res lists,
// builds the access package, stores it encrypted with an expiry, and records
// access.package_created in the audit trail (same transaction as the blob).
// Idempotent: if the request already has a package blob, it returns it unchanged.
func (s *Service) BuildPackage(ctx context.Context, req store.Request, ids Identifiers, res Resolution) (PackageInfo, error) {
	if info, ok, err := s.storedPackage(ctx, req.ID); err != nil || ok {
		return info, err
	}
	return s.buildNewPackage(ctx, req, ids, res)
}

// storedPackage describes the request's stored access package; ok is false when it
// has none.
func (s *Service) storedPackage(ctx context.Context, requestID string) (PackageInfo, bool, error) {
	b, ok, err := s.packageBlob(ctx, requestID)
	if err != nil || !ok {
		return PackageInfo{}, false, err
	}
	info, err := s.describe(ctx, b)
	return info, true, err
}

// buildNewPackage is BuildPackage once no stored package was found.
func (s *Service) buildNewPackage(ctx context.Context, req store.Request, ids Identifiers, res Resolution) (PackageInfo, error) {
	if err := s.checkArt15(); err != nil {
		return PackageInfo{}, err
	}
	p, built, err := s.assemble(ctx, req, ids, res)
	if err != nil {
		return PackageInfo{}, err
	}
	limited := CategoriesOnly(req)
	if limited {
		// Verified to a reasonable degree only, under a law that tiers
		// verification: the categories, not the values (CCPA Regs §7024).
		p = categoriesOnly(p)
		built.allowances = nil // no value is disclosed, under an allowance or not
	}
	var buf bytes.Buffer
	man, err := accesspkg.Build(p, &buf)
	if err != nil {
		return PackageInfo{}, fmt.Errorf("dsar: build access package: %w", err)
	}
	counts := countsOf(p)
	counts["redactions"] = built.counts["redactions"]
	counts["files"] = int64(len(man.Files) + 1)
	if limited {
		counts["categories_only"] = 1
		counts["categories_held"] = int64(len(p.CategoriesOnly.Held))
	}
	rec := audit.Record{Actor: s.actor(ctx), Action: audit.ActionAccessPackageCreated, RequestID: req.ID, SubjectRef: req.SubjectRef,
		Outcome: audit.OutcomeSuccess, Counts: counts}
	if len(built.allowances) > 0 {
		// The operator's allowances are recorded with the package that used them.
		var b strings.Builder
		b.WriteString("disclosed under the operator's allowance (config disclosure.allow): ")
		for i, al := range built.allowances {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(al.Attribute + ": " + al.Reason)
		}
		rec.Reason = b.String()
		counts["disclosed_under_allowance"] = int64(len(built.allowances))
		if err := s.Chain.Validate(&rec); err != nil {
			return PackageInfo{}, fmt.Errorf("dsar: a reason in config disclosure.allow cannot be recorded in the audit trail (it must hold no personal data): %w", err)
		}
	}
	return s.storePackage(ctx, req, buf.Bytes(), len(man.Files)+1, rec)
}

// storePackage encrypts the zip under a new key of the package's own, stores it and
// appends access.package_created in one transaction (the key is created in it
// too, so a key exists exactly when its blob was committed).
func (s *Service) storePackage(ctx context.Context, req store.Request, pkg []byte, files int, rec audit.Record) (PackageInfo, error) {
	sum := sha256.Sum256(pkg)
	info := PackageInfo{Size: int64(len(pkg)), SHA256: hex.EncodeToString(sum[:]), Files: files, ExpiresAt: s.now().Add(s.packageTTL()), Counts: rec.Counts}
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		id := store.NewID("blob")
		// The audit record is appended first: Append locks the chain's head (on
		// PostgreSQL a row lock), so two workers storing a package for the same
		// request at once are serialised here, and the second one's check below
		// sees the first one's blob.
		rec := rec
		rec.ObjectIDs = []string{id}
		if _, err := s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		existing, err := tx.BlobsByRequest(ctx, req.ID)
		if err != nil {
			return err
		}
		for _, b := range existing {
			if b.Kind == store.BlobAccessPackage {
				return errPackageExists // rolls the audit record back
			}
		}
		key := packageKeyID(req.ID, id)
		enc, err := s.Vault.With(tx).Encrypt(ctx, key, vault.AAD{Table: tableBlobs, Column: colBlobContent, Row: id}, pkg)
		if err != nil {
			return err
		}
		b, err := tx.PutBlob(ctx, store.Blob{ID: id, Kind: store.BlobAccessPackage, RequestID: req.ID, PersonKeyID: key, Name: accessPackageName, ExpiresAt: info.ExpiresAt}, bytes.NewReader(enc))
		if err != nil {
			return err
		}
		info.BlobID = b.ID
		return nil
	})
	if errors.Is(err, errPackageExists) {
		b, _, err := s.packageBlob(ctx, req.ID)
		if err != nil {
			return PackageInfo{}, err
		}
		return s.describe(ctx, b)
	}
	if err != nil {
		return PackageInfo{}, fmt.Errorf("dsar: store access package: %w", err)
	}
	return info, nil
}

var errPackageExists = errors.New("dsar: access package already stored")

// packageKeyPrefix starts the id of every access package's key.
const packageKeyPrefix = "package:"

// packageKeyID is the person key an access package is encrypted under: one key per
// package blob, never reused, named after its request so that the workers can
// record which request a key belonged to after the blob is gone.
func packageKeyID(requestID, blobID string) string {
	return packageKeyPrefix + requestID + "/" + blobID
}

// parsePackageKeyID splits a key id made by packageKeyID; ok is false for any other
// id (another kind of key, or a malformed one).
func parsePackageKeyID(id string) (requestID, blobID string, ok bool) {
	rest, found := strings.CutPrefix(id, packageKeyPrefix)
	if !found {
		return "", "", false
	}
	requestID, blobID, found = strings.Cut(rest, "/")
	if !found || requestID == "" || blobID == "" || strings.Contains(blobID, "/") {
		return "", "", false
	}
	return requestID, blobID, true
}

// packageKeyOf is the key a package blob is encrypted under: the one its row names
// (a package key, or the request's key for a package stored before packages had
// keys of their own), else the request's key.
func packageKeyOf(b store.Blob) string {
	if b.PersonKeyID != "" {
		return b.PersonKeyID
	}
	return requestKeyID(b.RequestID)
}

// packageBlob returns the request's access package blob, if any.
func (s *Service) packageBlob(ctx context.Context, requestID string) (store.Blob, bool, error) {
	bs, err := s.Store.BlobsByRequest(ctx, requestID)
	if err != nil {
		return store.Blob{}, false, fmt.Errorf("dsar: list blobs of %s: %w", requestID, err)
	}
	for _, b := range bs {
		if b.Kind == store.BlobAccessPackage {
			return b, true, nil
		}
	}
	return store.Blob{}, false, nil
}

// readPackage decrypts a package blob (under packageKeyOf).
func (s *Service) readPackage(ctx context.Context, b store.Blob) ([]byte, error) {
	rc, err := s.Store.OpenBlob(ctx, b.ID)
	if err != nil {
		return nil, fmt.Errorf("dsar: open access package: %w", err)
	}
	defer rc.Close()
	enc, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("dsar: read access package: %w", err)
	}
	plain, err := s.Vault.With(s.Store).Decrypt(ctx, packageKeyOf(b), vault.AAD{Table: tableBlobs, Column: colBlobContent, Row: b.ID}, enc)
	if err != nil {
		return nil, fmt.Errorf("dsar: decrypt access package: %w", err)
	}
	return plain, nil
}

func (s *Service) describe(ctx context.Context, b store.Blob) (PackageInfo, error) {
	plain, err := s.readPackage(ctx, b)
	if err != nil {
		return PackageInfo{}, err
	}
	return s.inspect(b, plain)
}

// inspect verifies a decrypted package against its manifest and describes it.
func (s *Service) inspect(b store.Blob, plain []byte) (PackageInfo, error) {
	man, err := accesspkg.Verify(plain)
	if err != nil {
		return PackageInfo{}, fmt.Errorf("dsar: access package %s: %w", b.ID, err)
	}
	sum := sha256.Sum256(plain)
	info := PackageInfo{BlobID: b.ID, Size: int64(len(plain)), SHA256: hex.EncodeToString(sum[:]), Files: len(man.Files) + 1, ExpiresAt: b.ExpiresAt}
	if p, err := readData(plain); err == nil {
		info.Counts = countsOf(p)
		info.Counts["files"] = int64(info.Files)
	}
	return info, nil
}

// readData decodes data.json of a package zip.
func readData(pkg []byte) (*accesspkg.Package, error) {
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return nil, err
	}
	f, err := zr.Open("data.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var p accesspkg.Package
	if err := json.NewDecoder(f).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// countsOf counts the records of a package per kind (for the audit trail and the
// command's summary; never values).
func countsOf(p *accesspkg.Package) map[string]int64 {
	c := map[string]int64{"contacts": int64(len(p.Contacts)), "notices": int64(len(p.Notices)),
		"local_contacts": int64(len(p.Local.Contacts)), "local_conversations": int64(len(p.Local.Conversations)),
		"local_webhook_events": int64(len(p.Local.WebhookEvents))}
	for _, w := range p.Withheld {
		c["withheld"] += w.Count
	}
	for _, pc := range p.Contacts {
		c["companies"] += int64(len(pc.Companies))
		c["tags"] += int64(len(pc.Tags))
		c["segments"] += int64(len(pc.Segments))
		c["notes"] += int64(len(pc.Notes))
		c["subscriptions"] += int64(len(pc.Subscriptions))
		c["events"] += int64(len(pc.Events))
		c["conversations"] += int64(len(pc.Conversations))
		c["tickets"] += int64(len(pc.Tickets))
		for _, cv := range pc.Conversations {
			c["messages"] += int64(len(cv.Messages))
		}
	}
	return c
}

// WritePackage writes a request's stored package (decrypted) to w; typed errors when
// expired/absent (ErrPackageExpired, ErrNoPackage).
func (s *Service) WritePackage(ctx context.Context, requestID string, w io.Writer) (PackageInfo, error) {
	return s.writePackage(ctx, requestID, w, audit.Record{})
}

// DeliverPackage writes the package to the person who followed the link of
// the completion message (web/intake): the download is recorded with the
// response date and nature of CCPA §7101, since it is when the answer
// reached the person.
func (s *Service) DeliverPackage(ctx context.Context, requestID string, w io.Writer) (PackageInfo, error) {
	return s.writePackage(ctx, requestID, w, audit.Record{ResponseDate: s.now(), ResponseNature: "access package downloaded by the person through the secure link"})
}

func (s *Service) writePackage(ctx context.Context, requestID string, w io.Writer, extra audit.Record) (PackageInfo, error) {
	req, err := s.Get(ctx, requestID)
	if err != nil {
		return PackageInfo{}, err
	}
	b, ok, err := s.packageBlob(ctx, requestID)
	if err != nil {
		return PackageInfo{}, err
	}
	if !ok {
		return PackageInfo{}, fmt.Errorf("%w (request %s)", ErrNoPackage, requestID)
	}
	if s.packageDue(b) {
		return PackageInfo{}, fmt.Errorf("%w (request %s, expired %s)", ErrPackageExpired, requestID, b.ExpiresAt.Format(time.RFC3339))
	}
	plain, err := s.readPackage(ctx, b)
	if err != nil {
		return PackageInfo{}, err
	}
	info, err := s.inspect(b, plain)
	if err != nil {
		return PackageInfo{}, err
	}
	if _, err := w.Write(plain); err != nil {
		return info, fmt.Errorf("dsar: write access package: %w", err)
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		_, err := s.Chain.Append(ctx, tx, audit.Record{
			Actor: s.actor(ctx), Action: audit.ActionAccessPackageDownloaded, RequestID: req.ID, SubjectRef: req.SubjectRef,
			Outcome: audit.OutcomeSuccess, ObjectIDs: []string{b.ID},
			ResponseDate: extra.ResponseDate, ResponseNature: extra.ResponseNature,
		})
		return err
	})
	if err != nil {
		return info, fmt.Errorf("dsar: record package download: %w", err)
	}
	return info, nil
}
