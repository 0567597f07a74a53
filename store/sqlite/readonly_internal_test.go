package sqlite

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestReadOnlyRemedy(t *testing.T) {
	ro := readOnlyRemedy(&os.PathError{Op: "open", Path: "/x", Err: syscall.EROFS})
	if !strings.Contains(ro, "read-only") || !strings.Contains(ro, "sqlite:///data/") {
		t.Errorf("read-only file system: %q", ro)
	}
	perm := readOnlyRemedy(&os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES})
	if strings.Contains(perm, "read-only") || !strings.Contains(perm, "write permission") {
		t.Errorf("permission denied: %q", perm)
	}
	dir := t.TempDir()
	if err := writableDir(dir); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the write check left %d file(s) behind", len(left))
	}
}
