package lmc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// Admin is what the administrator of the machine's LMC may do: see every lease (lmstat), revoke
// leases (lmremove), make the LMC read its license directory again (lmreread) and install a file.
// The in-process [*LMC] implements it, and so does a [*Conn] to a daemon that lets the connection
// administer it ([ServerInfo].Admin): over a unix socket, a process of the daemon's own user or
// root; over TCP, one that presented the administrator's token ([WithAdminToken]).
type Admin interface {
	// InstalledFiles lists the installed files and what each contributes now. Any connection may
	// ask.
	InstalledFiles(ctx context.Context) ([]FileSummary, error)
	// Leases lists every live lease with its non-secret handle, never its bearer id.
	Leases(ctx context.Context) ([]LeaseInfo, error)
	// Revoke revokes the lease with the given handle; its holder learns it at its next renewal
	// ([ErrLeaseRevoked]). An unknown handle matches [ErrLeaseLost].
	Revoke(ctx context.Context, handle string) error
	// RevokeApp revokes every lease of an application (of one part, when part is not empty) and
	// returns how many it revoked.
	RevokeApp(ctx context.Context, app, part string) (int, error)
	// Reread reads the license directory again, without dropping the leases the files there
	// still cover.
	Reread(ctx context.Context) (RereadResult, error)
	// InstallData installs the license file in data, in any form a user holds it (see
	// license.ReadInput), and returns the serials installed.
	InstallData(ctx context.Context, data []byte) ([]string, error)
}

// LeaseInfo is one lease as the administrator sees it.
type LeaseInfo struct {
	// Handle names the lease to [Admin.Revoke]. It is not secret and cannot renew or release the
	// lease (the bearer id, which only the holder knows, does).
	Handle string
	App    string    // the application named at checkout
	Part   string    // the part whose seats it holds
	Seats  int       // seats held
	Count  int       // the part's licensed seats now
	Taken  time.Time // when the lease was checked out (the LMC's clock)
	// Expires is when the lease lapses unless renewed (the LMC's clock).
	Expires time.Time
	// PID is the process that took the lease over a unix socket (Linux), 0 when unknown.
	PID int
	// UID is that process's user id, -1 when unknown.
	UID int
}

// FileSummary is one installed file as a [Conn] reports it.
type FileSummary struct {
	Serial   string     // the file's serial
	Status   FileStatus // whether it grants now, and if not, why
	Term     string     // "permanent", "demo", "service" or "temporary"; "" for an invalid file
	Issued   time.Time  // zero for an invalid file
	NotAfter time.Time  // zero unless fixed-term
	Lines    int        // the number of license lines in the file
	Code     string     // the LMC code the file is bound to
	Err      string     // why an invalid file does not open
}

// RereadResult says what [LMC.Reread] found in the license directory.
type RereadResult struct {
	Added    []string // serials of files new in the directory
	Replaced []string // serials whose file changed
	Removed  []string // serials no longer in the directory
	Invalid  []string // serials (or file names) of files that do not open
	Revoked  int      // leases revoked because a count dropped
}

// Both implementations answer to the same administrator's interface.
var (
	_ Admin = (*LMC)(nil)
	_ Admin = (*Conn)(nil)
)

// peer is what a server knows of the process at the other end of a unix socket.
type peer struct {
	pid, uid int
	known    bool
}

type peerKey struct{}

// withPeer returns ctx carrying p, for the checkouts made on the connection.
func withPeer(ctx context.Context, p peer) context.Context {
	if !p.known {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerFrom(ctx context.Context) peer {
	p, _ := ctx.Value(peerKey{}).(peer)
	return p
}

// LeaseTTL returns how long a lease lives unless renewed.
func (l *LMC) LeaseTTL() time.Duration { return l.cfg.LeaseTTL }

// InstalledFiles implements [Admin].
func (l *LMC) InstalledFiles(context.Context) ([]FileSummary, error) {
	infos := l.Files()
	out := make([]FileSummary, 0, len(infos))
	for _, fi := range infos {
		fs := FileSummary{Serial: fi.Serial, Status: fi.Status}
		if fi.Err != nil {
			fs.Err = fi.Err.Error()
		}
		if f := fi.File; f != nil {
			fs.Term, fs.Issued, fs.NotAfter, fs.Lines, fs.Code = f.Term.String(), f.Issued, f.NotAfter, len(f.Lines), f.Host.Code.String()
		}
		out = append(out, fs)
	}
	return out, nil
}

// Leases implements [Admin].
func (l *LMC) Leases(context.Context) ([]LeaseInfo, error) {
	l.current()
	return l.seats.list(), nil
}

// Revoke implements [Admin].
func (l *LMC) Revoke(_ context.Context, handle string) error {
	if err := checkHandle(handle); err != nil {
		return err
	}
	return l.seats.revokeHandle(handle)
}

// RevokeApp implements [Admin].
func (l *LMC) RevokeApp(_ context.Context, app, part string) (int, error) {
	if err := checkRevoke("", app, part); err != nil {
		return 0, err
	}
	return l.seats.revokeApp(app, part), nil
}

// InstallData implements [Admin]: it is [LMC.Install] with the serial of what it installed.
func (l *LMC) InstallData(_ context.Context, data []byte) ([]string, error) {
	f, err := l.Install(data)
	if err != nil {
		return nil, err
	}
	return []string{f.Serial}, nil
}

// Reread reads the license directory again, as [Open] reads it, and serves what it finds: files
// copied into licenses/ by hand are taken in, files deleted there are dropped, changed files are
// replaced, and a file that no longer opens is kept out of the grant (and reported). The leases out
// are kept as long as the new counts cover them; the newest leases beyond a count that dropped are
// revoked, and their holders learn it at their next renewal, as after [LMC.Remove]. If the
// directory cannot be read, or holds more than [MaxFiles] files, nothing changes and the error says
// why. Reread is what the daemon does on SIGHUP and on the administrator's reread.
func (l *LMC) Reread(context.Context) (RereadResult, error) {
	files, err := l.readDir()
	if err != nil {
		return RereadResult{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var res RereadResult
	old := map[string]*installed{}
	for _, f := range l.files {
		old[f.name] = f
	}
	for _, f := range files {
		o, ok := old[f.name]
		delete(old, f.name)
		switch {
		case !ok:
			res.Added = append(res.Added, serialOf(f))
		case !bytes.Equal(o.signed, f.signed):
			res.Replaced = append(res.Replaced, serialOf(f))
		}
		if f.err != nil {
			res.Invalid = append(res.Invalid, serialOf(f))
		}
	}
	for _, o := range old {
		res.Removed = append(res.Removed, serialOf(o))
	}
	for _, s := range [][]string{res.Added, res.Replaced, res.Removed, res.Invalid} {
		slices.Sort(s)
	}
	l.files = files
	before := l.revoked
	err = l.rebuildLocked(l.now(), "license files reread")
	res.Revoked = l.revoked - before
	return res, err
}

func serialOf(f *installed) string {
	if f.file != nil {
		return f.file.Serial
	}
	return strings.TrimSuffix(f.name, licenseExt)
}

// installInput reads the input with license.ReadInput and installs the file in it (see
// [LMC.Install]).
func (l *LMC) installInput(data []byte) (*license.File, error) {
	files, _, err := license.ReadInput(data)
	if err != nil {
		return nil, fmt.Errorf("lmc: install: %w", err)
	}
	if len(files) == 1 {
		return l.installSigned(files[0])
	}
	// A BX/OVOC pair's zip: each file is bound to its own machine; install the one for this LMC.
	var firstErr error
	var mine [][]byte
	for _, s := range files {
		f, err := license.Open(s, l.cfg.Keyring)
		if err != nil {
			firstErr = cmpOr(firstErr, fmt.Errorf("lmc: install: %w", err))
			continue
		}
		if err := f.Check(license.Host{System: keycode.LMC, Code: l.currentCode()}, f.Issued); errors.Is(err, license.ErrHostMismatch) {
			firstErr = cmpOr(firstErr, fmt.Errorf("lmc: install %q: %w", f.Serial, err))
			continue
		}
		mine = append(mine, s)
	}
	switch len(mine) {
	case 0:
		return nil, firstErr
	case 1:
		return l.installSigned(mine[0])
	}
	return nil, fmt.Errorf("%w: the input holds %d files for this LMC; install them one at a time", ErrBadRequest, len(mine))
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (l *LMC) currentCode() keycode.Code {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.currentCodeLocked()
}

// checkHandle validates a lease handle: 1 to 20 decimal digits.
func checkHandle(h string) error {
	if h == "" || len(h) > 20 {
		return fmt.Errorf("%w: a lease handle is 1 to 20 digits, got %d characters", ErrBadRequest, len(h))
	}
	for i := 0; i < len(h); i++ {
		if h[i] < '0' || h[i] > '9' {
			return fmt.Errorf("%w: a lease handle is decimal digits; byte %d is not", ErrBadRequest, i)
		}
	}
	return nil
}
