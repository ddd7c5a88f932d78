package lmc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/internal/atomicfile"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// Names inside the LMC's directory.
const (
	licenseDir = "licenses"
	licenseExt = ".lic"
	hostFile   = "host"
)

type installed struct {
	signed []byte
	file   *license.File // nil when the file no longer opens
	err    error         // why it does not open
	name   string        // file name under licenses/
}

// FileStatus says what an installed file contributes to the grant.
type FileStatus uint8

// File statuses.
const (
	FileActive    FileStatus = iota + 1 // in the grant
	FilePending                         // fixed-term, not started yet
	FileExpired                         // fixed-term, ended
	FileOtherHost                       // bound to another LMC code than the active files
	FileInvalid                         // no longer opens (say, its signing key was revoked)
)

var fileStatusNames = [...]string{"", "active", "pending", "expired", "other host", "invalid"}

// String returns the status in words.
func (s FileStatus) String() string {
	if int(s) < len(fileStatusNames) && s != 0 {
		return fileStatusNames[s]
	}
	return "invalid status"
}

// FileInfo describes one installed file.
type FileInfo struct {
	Serial string     // the file's serial; its name in the directory is <serial>.lic
	Status FileStatus // whether it grants now, and if not, why
	// File is the opened file (a copy the caller owns); nil when Status is FileInvalid.
	File *license.File
	// Err says why an invalid file does not open.
	Err error
}

// Install verifies a license file, checks that it is bound to this LMC's code and not expired,
// stores it atomically in the LMC's directory and publishes the new grant. It takes the file in any
// form a user holds it (license.ReadInput): the signed bytes, the armored text, a <HWKC>-svi.zip, or
// a BX/OVOC zip, of which it installs the one file bound to this LMC. A fixed-term file issued for
// later is accepted and starts granting then. A file whose serial is installed already replaces it
// if issued at the same time or later; the very same bytes again change nothing. Across files each
// software key code counts once (the newest file's line wins), so a regenerated file replaces the
// lines of the one before.
//
// It refuses, changing nothing: input in no license form (license.ErrMalformed, with a
// *license.InputError naming what it saw); a file that does not open (the license package's
// errors), is bound to another code (license.ErrHostMismatch), has expired (license.ErrExpired),
// would not stack with the installed files (license.ErrInvalid), is older than the installed file
// of its serial, or would exceed [MaxFiles]; [ErrNoHostCode] when the LMC has never learned its
// code; and a failed write.
func (l *LMC) Install(data []byte) (*license.File, error) {
	return l.installInput(data)
}

// installSigned installs one signed file.
func (l *LMC) installSigned(signed []byte) (*license.File, error) {
	f, err := license.Open(signed, l.cfg.Keyring)
	if err != nil {
		return nil, fmt.Errorf("lmc: install: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cur := l.currentCodeLocked()
	if cur.IsZero() {
		return nil, fmt.Errorf("%w: cannot tell which code %q must be bound to", ErrNoHostCode, f.Serial)
	}
	host := license.Host{System: keycode.LMC, Code: cur}
	if err := f.Check(host, now); err != nil && !errors.Is(err, license.ErrNotYetValid) {
		return nil, fmt.Errorf("lmc: install %q: %w", f.Serial, err)
	}
	in := &installed{signed: bytes.Clone(signed), file: f, name: f.Serial + licenseExt}
	files := slices.Clone(l.files)
	if i := l.findLocked(f.Serial); i >= 0 {
		old := files[i]
		if old.file != nil && bytes.Equal(old.signed, signed) {
			return cloneFile(f), nil
		}
		if old.file != nil && f.Issued.Before(old.file.Issued) {
			return nil, fmt.Errorf("lmc: install %q: issued %s, before the installed file of the same serial (%s)",
				f.Serial, f.Issued.Format(time.RFC3339), old.file.Issued.Format(time.RFC3339))
		}
		files[i] = in
	} else {
		if len(files) >= MaxFiles {
			return nil, fmt.Errorf("lmc: install %q: %d files installed already; remove one first", f.Serial, len(files))
		}
		files = append(files, in)
	}
	if _, err := stackFiles(files, func(x *installed) bool { return boundTo(x, cur) }); err != nil {
		return nil, fmt.Errorf("lmc: install %q: does not stack with the installed files: %w", f.Serial, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(l.cfg.Dir, licenseDir, in.name), in.signed, 0o600); err != nil {
		return nil, fmt.Errorf("lmc: install %q: %w", f.Serial, err)
	}
	l.files = files
	l.rebuildLocked(now, "installed "+f.Serial)
	return cloneFile(f), nil
}

// Remove uninstalls the file with the given serial and publishes the new grant; leases beyond the
// new counts are revoked (their holders learn it when they renew). An unknown serial returns an
// error matching [ErrNotInstalled].
func (l *LMC) Remove(serial string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := l.findLocked(serial)
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotInstalled, serial)
	}
	dir := filepath.Join(l.cfg.Dir, licenseDir)
	if err := os.Remove(filepath.Join(dir, l.files[i].name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lmc: remove %q: %w", serial, err)
	}
	syncDir(dir)
	l.files = slices.Delete(slices.Clone(l.files), i, i+1)
	l.rebuildLocked(l.now(), "removed "+serial)
	return nil
}

// Files lists the installed files by serial, with what each contributes now.
func (l *LMC) Files() []FileInfo {
	g := l.current()
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	out := make([]FileInfo, 0, len(l.files))
	for _, f := range l.files {
		fi := FileInfo{Serial: strings.TrimSuffix(f.name, licenseExt), Status: fileStatus(f, g.bound, now), Err: f.err}
		if f.file != nil {
			fi.Serial = f.file.Serial
			fi.File = cloneFile(f.file)
		}
		out = append(out, fi)
	}
	return out
}

func cloneFile(f *license.File) *license.File {
	c := *f
	c.Lines = slices.Clone(f.Lines)
	return &c
}

func (l *LMC) findLocked(serial string) int {
	for i, f := range l.files {
		if f.file != nil && f.file.Serial == serial || f.file == nil && f.name == serial+licenseExt {
			return i
		}
	}
	return -1
}

// currentCodeLocked is the LMC code of the host as last learned; zero if never.
func (l *LMC) currentCodeLocked() keycode.Code {
	if l.observed.IsZero() {
		return keycode.Code{}
	}
	c, err := lmcCodeOf(l.observed)
	if err != nil {
		return keycode.Code{}
	}
	return c
}

// boundTo reports whether f is bound to the LMC code c (whatever its term says about now).
func boundTo(f *installed, c keycode.Code) bool {
	if f.file == nil || c.IsZero() {
		return false
	}
	err := f.file.Check(license.Host{System: keycode.LMC, Code: c}, f.file.Issued)
	return !errors.Is(err, license.ErrHostMismatch)
}

func fileStatus(f *installed, bound keycode.Code, now time.Time) FileStatus {
	switch {
	case f.file == nil:
		return FileInvalid
	case !boundTo(f, bound):
		return FileOtherHost
	case !f.file.Term.FixedTerm():
		return FileActive
	case !now.Before(f.file.NotAfter):
		return FileExpired
	case now.Before(f.file.Issued):
		return FilePending
	}
	return FileActive
}

// rebuildLocked decides which code the active files are bound to, stacks the active files, publishes
// the new grant and revokes the leases beyond the new counts. Then it saves the codes if they changed.
//
// The bound code follows the host: it is the host's current LMC code whenever some file is bound to
// that code or none is bound to the code before. While the host reports a new code and only files
// for the old one are installed (a CPU replacement before the new files arrive), the old files keep
// serving what is checked out, and new checkouts are refused.
func (l *LMC) rebuildLocked(now time.Time, why string) error {
	cur := l.currentCodeLocked()
	anyFor := func(c keycode.Code) bool {
		for _, f := range l.files {
			if boundTo(f, c) {
				return true
			}
		}
		return false
	}
	bound, changed := cur, false
	if !anyFor(cur) && !l.bound.IsZero() && l.bound != cur && anyFor(l.bound) {
		bound, changed = l.bound, !cur.IsZero()
	}
	var until time.Time
	active := 0
	set, _ := stackFiles(l.files, func(f *installed) bool {
		st := fileStatus(f, bound, now)
		if f.file != nil && st != FileOtherHost && f.file.Term.FixedTerm() {
			for _, t := range []time.Time{f.file.Issued, f.file.NotAfter} {
				if now.Before(t) && (until.IsZero() || t.Before(until)) {
					until = t
				}
			}
		}
		if st == FileActive {
			active++
			return true
		}
		return false
	})
	// The seat book takes the new counts first, so a checkout that already sees the new grant is
	// counted against them.
	l.revoked += l.seats.setLimits(limitsOf(set), why)
	l.g.Store(&grant{set: set, until: until, timed: !until.IsZero(), hostChanged: changed, code: cur, bound: bound, active: active})
	if bound != l.bound {
		l.bound = bound
		return l.saveHostLocked()
	}
	return nil
}

// stackFiles stacks the lines of the files use selects. Each software key code counts once, taken
// from the newest file (latest Issued, then latest installed). A file whose lines do not stack with
// those of newer ones is left out and named in the error.
func stackFiles(files []*installed, use func(*installed) bool) (license.Set, error) {
	var order []int
	for i, f := range files {
		if f.file != nil && use(f) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := files[b].file.Issued.Compare(files[a].file.Issued); c != 0 {
			return c
		}
		return b - a
	})
	if s, err := license.Stack(linesOf(files, order)...); err == nil {
		return s, nil
	}
	var kept []int
	var firstErr error
	for _, i := range order {
		if _, err := license.Stack(linesOf(files, append(slices.Clone(kept), i))...); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("file %q: %w", files[i].file.Serial, err)
			}
			continue
		}
		kept = append(kept, i)
	}
	s, err := license.Stack(linesOf(files, kept)...)
	if err != nil {
		return license.Set{}, err
	}
	return s, firstErr
}

func linesOf(files []*installed, order []int) []license.Line {
	var lines []license.Line
	seen := map[string]bool{}
	for _, i := range order {
		for _, ln := range files[i].file.Lines {
			if ln.SKC != "" {
				if seen[ln.SKC] {
					continue
				}
				seen[ln.SKC] = true
			}
			lines = append(lines, ln)
		}
	}
	return lines
}

// load reads the remembered host codes and the installed files.
func (l *LMC) load() error {
	if err := os.MkdirAll(filepath.Join(l.cfg.Dir, licenseDir), 0o700); err != nil {
		return fmt.Errorf("lmc: open: %w", err)
	}
	if err := l.loadHost(); err != nil {
		return err
	}
	files, err := l.readDir()
	if err != nil {
		return err
	}
	l.files = files
	return nil
}

// readDir reads the files in licenses/. A file that does not open is kept, with its error.
func (l *LMC) readDir() ([]*installed, error) {
	dir := filepath.Join(l.cfg.Dir, licenseDir)
	atomicfile.RemoveTemps(dir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lmc: reading the license directory: %w", err)
	}
	var files []*installed
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, licenseExt) || strings.HasPrefix(name, ".") {
			continue
		}
		if len(files) >= MaxFiles {
			return nil, fmt.Errorf("lmc: more than %d files in %s", MaxFiles, dir)
		}
		b, err := readCapped(filepath.Join(dir, name), license.MaxFileSize)
		in := &installed{signed: b, name: name}
		if err == nil {
			in.file, err = license.Open(b, l.cfg.Keyring)
		}
		if err == nil && in.file.Serial+licenseExt != name {
			in.file, err = nil, fmt.Errorf("lmc: %s holds serial %q", name, in.file.Serial)
		}
		in.err = err
		files = append(files, in)
	}
	return files, nil
}

func readCapped(path string, max int) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > int64(max) {
		return nil, fmt.Errorf("lmc: %s is %d bytes, over %d", path, fi.Size(), max)
	}
	return os.ReadFile(path)
}

// The host file holds two lines: the host code last learned and the LMC code the active files are
// bound to, each as keycode text ("SV8500:22CC…"), either line empty when unknown.
func (l *LMC) loadHost() error {
	path := filepath.Join(l.cfg.Dir, hostFile)
	b, err := readCapped(path, 1024)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lmc: open: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		return fmt.Errorf("lmc: open: %s: want 2 lines, got %d", path, len(lines))
	}
	var codes [2]keycode.Code
	for i, s := range lines {
		if s == "" {
			continue
		}
		if err := codes[i].UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("lmc: open: %s line %d: %w", path, i+1, err)
		}
	}
	if _, err := lmcCodeOf(codes[0]); !codes[0].IsZero() && err != nil {
		return fmt.Errorf("lmc: open: %s line 1: %w", path, err)
	}
	if !codes[1].IsZero() && codes[1].System() != keycode.LMC {
		return fmt.Errorf("lmc: open: %s line 2: %s is not an LMC code", path, codes[1])
	}
	l.observed, l.bound = codes[0], codes[1]
	return nil
}

func (l *LMC) saveHostLocked() error {
	var b bytes.Buffer
	for _, c := range []keycode.Code{l.observed, l.bound} {
		t, err := c.MarshalText()
		if err != nil {
			return err
		}
		b.Write(t)
		b.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(filepath.Join(l.cfg.Dir, hostFile), b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("lmc: saving the host codes: %w", err)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
