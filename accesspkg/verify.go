package accesspkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrCorruptPackage reports a package zip whose content does not match its manifest:
// a file missing, added, altered or of another size, or a manifest that cannot be
// read. The message names the file, never its content.
var ErrCorruptPackage = errors.New("accesspkg: the package does not match its manifest")

// maxVerifiedFile bounds how much of one zip entry Verify reads (a package file is
// far smaller; a larger entry is reported corrupt rather than read into memory).
const maxVerifiedFile = 1 << 30

// Verify checks a package zip against its manifest.json: every listed file is
// present once with the listed size and SHA-256, and no other file is present. It
// returns the manifest.
func Verify(pkg []byte) (*Manifest, error) {
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a zip archive", ErrCorruptPackage)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("%w: file %q appears twice", ErrCorruptPackage, f.Name)
		}
		files[f.Name] = f
	}
	mf, ok := files["manifest.json"]
	if !ok {
		return nil, fmt.Errorf("%w: no manifest.json", ErrCorruptPackage)
	}
	mdata, err := readEntry(mf)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(mdata, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest.json is not valid JSON", ErrCorruptPackage)
	}
	listed := map[string]bool{"manifest.json": true}
	for _, e := range m.Files {
		if listed[e.Name] {
			return nil, fmt.Errorf("%w: manifest lists %q twice", ErrCorruptPackage, e.Name)
		}
		listed[e.Name] = true
		f, ok := files[e.Name]
		if !ok {
			return nil, fmt.Errorf("%w: %q is listed but missing", ErrCorruptPackage, e.Name)
		}
		data, err := readEntry(f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		if len(data) != e.Size || hex.EncodeToString(sum[:]) != e.SHA256 {
			return nil, fmt.Errorf("%w: %q does not match its digest", ErrCorruptPackage, e.Name)
		}
	}
	for name := range files {
		if !listed[name] {
			return nil, fmt.Errorf("%w: %q is not listed in the manifest", ErrCorruptPackage, name)
		}
	}
	return &m, nil
}

func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %q cannot be opened", ErrCorruptPackage, f.Name)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxVerifiedFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %q cannot be read", ErrCorruptPackage, f.Name)
	}
	if len(data) > maxVerifiedFile {
		return nil, fmt.Errorf("%w: %q is too large", ErrCorruptPackage, f.Name)
	}
	return data, nil
}
