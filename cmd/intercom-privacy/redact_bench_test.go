package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/internal/evalgen"
)

// Environment of TestRedactBinaryCPU.
const (
	// envRedactBinaries lists the builds to compare, name=path separated
	// by commas (e.g. before=/tmp/ip-old,after=/tmp/ip-new).
	envRedactBinaries = "REDACT_BINARIES"
	// envRedactFile is a log file to use instead of the generated one.
	envRedactFile = "REDACT_BENCH_FILE"
	// envRedactMiB and envRedactRounds override 40 MiB and 6 rounds.
	envRedactMiB    = "REDACT_BENCH_MIB"
	envRedactRounds = "REDACT_BENCH_ROUNDS"
)

// TestRedactBinaryCPU measures `intercom-privacy redact --format text` the
// way a user runs it: a separate process per run, reading a log file on
// its standard input and writing a file, one core (GOMAXPROCS=1), per
// CPU-second of the process (user + system, from its rusage), start-up
// included. Each build in REDACT_BINARIES runs on the same file, the builds
// alternated round after round; each is also run on an empty input, which
// gives its start-up cost alone. The regexp baseline of issue #3 (e-mail,
// card, SSN, IPv4) runs in this process on the same bytes, per CPU-second
// of this process, in the same rounds. The file is the independent log
// corpus of internal/evalgen (an id in every line, personal data in about
// 5 %), 40 MiB, unless REDACT_BENCH_FILE names one. Figures and commands in
// docs/bench/pii.md.
func TestRedactBinaryCPU(t *testing.T) {
	list := os.Getenv(envRedactBinaries)
	if list == "" {
		t.Skipf("set %s=name=path,... to the builds to measure (see docs/bench/pii.md)", envRedactBinaries)
	}
	rounds := benchEnvInt(t, envRedactRounds, 6)
	dir := t.TempDir()
	in := os.Getenv(envRedactFile)
	if in == "" {
		in = filepath.Join(dir, "logs.txt")
		writeLogCorpus(t, in, benchEnvInt(t, envRedactMiB, 40)<<20)
	}
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	type build struct {
		name, bin      string
		best, total    time.Duration
		start, startTo time.Duration
	}
	var builds []*build
	for _, item := range strings.Split(list, ",") {
		name, bin, ok := strings.Cut(item, "=")
		if !ok {
			t.Fatalf("%s: %q is not name=path", envRedactBinaries, item)
		}
		builds = append(builds, &build{name: name, bin: bin})
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var reBest time.Duration
	for r := range rounds {
		for _, b := range builds {
			d := runRedact(t, b.bin, in, filepath.Join(dir, "out.txt"))
			b.total += d
			if r == 0 || d < b.best {
				b.best = d
			}
			s := runRedact(t, b.bin, empty, filepath.Join(dir, "out-empty.txt"))
			b.startTo += s
			if r == 0 || s < b.start {
				b.start = s
			}
		}
		if r < 2 { // the baseline is slow and steady: two rounds
			c0 := selfCPU()
			_ = redactBaseline.FindAllIndex(data, -1)
			if d := selfCPU() - c0; r == 0 || d < reBest {
				reBest = d
			}
		}
	}
	mb := float64(len(data)) / 1e6
	reRate := mb / reBest.Seconds()
	t.Logf("file %s, %.1f MB; regexp baseline %.1f MB per CPU-second", filepath.Base(in), mb, reRate)
	for _, b := range builds {
		best := mb / b.best.Seconds()
		t.Logf("%-10s %7.1f MB per CPU-second (fastest of %d; %.1f over all), %.1fx the regexp baseline; start-up alone %.1f ms CPU (fastest; %.1f mean)",
			b.name, best, rounds, mb*float64(rounds)/b.total.Seconds(), best/reRate,
			float64(b.start.Microseconds())/1000, float64(b.startTo.Microseconds())/1000/float64(rounds))
	}
}

// redactBaseline is the regexp baseline of issue #3: e-mail, card, SSN,
// IPv4 (the same expression as redactstream's benchmarks).
var redactBaseline = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}` + `|` +
	`\b(?:\d[ -]?){12,18}\d\b` + `|` + `\b\d{3}-\d{2}-\d{4}\b` + `|` +
	`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`)

// runRedact runs bin's redact on the file in, writing out, and returns the
// CPU time (user + system) of the process.
func runRedact(t *testing.T, bin, in, out string) time.Duration {
	t.Helper()
	fi, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer fi.Close()
	fo, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fo.Close()
	cmd := exec.Command(bin, "redact", "--format", "text")
	cmd.Stdin, cmd.Stdout = fi, fo
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s redact: %v\n%s", bin, err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage for the child process")
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeLogCorpus writes size bytes of the independent log corpus, one
// sample a line, to path.
func writeLogCorpus(t *testing.T, path string, size int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	samples := evalgen.Logs(1, 40000)
	for n := 0; n < size; {
		for _, s := range samples {
			k, _ := w.WriteString(strings.ReplaceAll(s.Text, "\n", " "))
			w.WriteByte('\n')
			if n += k + 1; n >= size {
				break
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
