package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// errOutExists says the output file exists and --force was not given.
var errOutExists = errors.New("the file exists (give --force to replace it)")

// writeOutFile writes a file that holds personal data (an access package) to
// path, mode 0600, through a temporary file in the same directory that is
// synced and renamed into place only when write succeeded. So a failure (an
// unknown or expired request, a crash, Ctrl-C) never leaves a partial file at
// path and never destroys a file that was there, even with force. Without
// force an existing file is refused, before and after writing. Errors name
// the flag, never the path (which may name the person).
func writeOutFile(flag, path string, force bool, write func(io.Writer) error) (err error) {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", flag, errOutExists)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".intercom-privacy-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("%s: cannot create a file in its directory: %w", flag, pathErrOnly(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", flag, pathErrOnly(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", flag, pathErrOnly(err))
	}
	if force {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("%s: %w", flag, pathErrOnly(err))
		}
	} else {
		// A hard link never replaces an existing file: a file created at
		// path meanwhile is kept.
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", flag, errOutExists)
			}
			return fmt.Errorf("%s: %w", flag, pathErrOnly(err))
		}
		_ = os.Remove(tmp.Name())
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable; not every system supports it
		d.Close()
	}
	return nil
}

// pathErrOnly drops the path from an *fs.PathError or *os.LinkError.
func pathErrOnly(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
