package lmc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

var bg = context.Background()

// TestGuide_LMCForm: the LMC binds to the LM form of the PBX code (LM + the HWKC; for iS3000 drop
// "aa" and "AA" and put "LMIS" in front), as the guide's "MA4000 / MA4000 EM / CTI / UIP" and "BCT"
// sections say; a PBX without an LMC form leaves the LMC without a code and says why.
func TestGuide_LMCForm(t *testing.T) {
	tests := []struct {
		sys       keycode.System
		pbx, want string
	}{
		{keycode.SV8300, "18CYG-IPS-00000000BJZ02319QK", "LM18CYG-IPS-00000000BJZ02319QK"},
		{keycode.SV8500, "22CC538207AFD058020640CD57xO", "LM22CC538207AFD058020640CD57xO"},
		{keycode.SV9300, "36LYRAABK000000000CP10A087HY", "LM36LYRAABK000000000CP10A087HY"},
		{keycode.SV9500, "35G00N470108E0S0A8832EF2d3Po", "LM35G00N470108E0S0A8832EF2d3Po"},
		{keycode.IS3000, "aa0014SA2792883418AA", "LMIS0014SA2792883418"},
		{keycode.IS3000, "aa0024IC960002104009xxx12345AA", "LMIS0024IC960002104009xxx12345"},
		{keycode.SV8100, "190400324412", ""},
	}
	for _, tc := range tests {
		t.Run(tc.pbx, func(t *testing.T) {
			pbx := keycode.MustParse(tc.sys, tc.pbx)
			if tc.want == "" {
				// A static source with a code that has no LMC form is misconfigured: Open says so.
				_, err := Open(bg, Config{Dir: t.TempDir(), Source: StaticSource(pbx), Keyring: keyringOf(t, testKey(t, 1))})
				if !errors.Is(err, ErrBadSource) {
					t.Fatalf("Open with a PBX without an LMC form: %v, want ErrBadSource", err)
				}
				// So is any source that answers with it.
				_, err = Open(bg, Config{Dir: t.TempDir(), Source: &fakeSource{code: pbx}, Keyring: keyringOf(t, testKey(t, 1))})
				if !errors.Is(err, ErrBadSource) {
					t.Fatalf("Open with a source answering a PBX without an LMC form: %v, want ErrBadSource", err)
				}
				return
			}
			l := testLMC(t, t.TempDir(), StaticSource(pbx), newFakeClock(t0))
			st, err := l.Status(bg)
			if err != nil {
				t.Fatal(err)
			}
			if st.Code != tc.want || l.Code().String() != tc.want && tc.want != "" {
				t.Fatalf("Code %q (Status %+v), want %q", l.Code(), st, tc.want)
			}
			if st.HostCode != tc.pbx || !st.Reachable {
				t.Fatalf("Status = %+v", st)
			}
		})
	}
}

// TestLMCServesFiles: files bound to the LMC code stack, and MA4000 and BCT share the seats.
func TestLMCServesFiles(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	lm := lmcOf(t, sv8500A)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F1", code: lm, lines: []license.Line{
		count("391950", 100), count("391950", 100), version("390908", 10), flag("CTI-LINK"), count("USER", 3),
	}}))
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F2", code: lm, lines: []license.Line{count("USER", 2), version("390908", 8)}}))

	for _, c := range []struct {
		part        string
		has         bool
		count, vers int
	}{
		{"391950", true, 200, 0},
		{"390908", true, 0, 10},
		{"CTI-LINK", true, 0, 0},
		{"USER", true, 5, 0},
		{"NOPE", false, 0, 0},
	} {
		has, _ := l.Has(bg, c.part)
		n, _ := l.Count(bg, c.part)
		v, _ := l.Version(bg, c.part)
		if has != c.has || n != c.count || v != c.vers {
			t.Errorf("%s: Has %v Count %d Version %d; want %v %d %d", c.part, has, n, v, c.has, c.count, c.vers)
		}
	}
	ma, err := l.Checkout(bg, "MA4000", "USER", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkout(bg, "BCT", "USER", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkout(bg, "BCT", "USER", 1); !errors.Is(err, ErrNoSeats) {
		t.Fatalf("sixth seat: %v, want ErrNoSeats", err)
	}
	if _, err := l.Checkout(bg, "BCT", "390908", 1); !errors.Is(err, ErrNotCounted) {
		t.Fatalf("checkout of a version part: %v, want ErrNotCounted", err)
	}
	if _, err := l.Checkout(bg, "BCT", "NOPE", 1); !errors.Is(err, ErrNotLicensed) {
		t.Fatalf("checkout of an absent part: %v, want ErrNotLicensed", err)
	}
	if err := ma.Release(bg); err != nil {
		t.Fatal(err)
	}
	u, _ := l.Usage(bg, "USER")
	if diff := cmp.Diff(Usage{Part: "USER", Count: 5, InUse: 2, Holders: []Holder{{"BCT", 2, 1}}}, u); diff != "" {
		t.Errorf("Usage (-want +got):\n%s", diff)
	}
	st, _ := l.Status(bg)
	if st.Files != 2 || st.Active != 2 || st.HostChanged {
		t.Errorf("Status = %+v", st)
	}
}

func TestLMCInstallRefused(t *testing.T) {
	clk := newFakeClock(t0)
	key, other := testKey(t, 1), testKey(t, 2)
	lm := lmcOf(t, sv8500A)
	good := issue(t, key, fileSpec{serial: "F1", code: lm, issued: t0.Add(-time.Hour), lines: []license.Line{count("USER", 5)}})
	tests := []struct {
		name   string
		why    string
		signed []byte
		want   error
	}{
		{"other host", "a file for another SV8500's LMC code does not apply here",
			issue(t, key, fileSpec{serial: "F9", code: lmcOf(t, sv8500B), lines: []license.Line{count("USER", 5)}}), license.ErrHostMismatch},
		{"PBX code", "application files are bound to the LM form, not the PBX's own code", mustSign(t, key, &license.File{
			Serial: "F9", Issued: t0, Term: license.Permanent, Host: license.Host{System: keycode.SV8500, Code: sv8500A},
			Lines: []license.Line{count("USER", 1)}}), license.ErrHostMismatch},
		{"expired", "a fixed-term file past its end is refused",
			issue(t, key, fileSpec{serial: "F9", code: lm, issued: t0.Add(-48 * time.Hour), term: license.Temporary, notAfter: t0, lines: []license.Line{count("USER", 5)}}), license.ErrExpired},
		{"untrusted key", "only the vendor keys in the keyring are trusted",
			issue(t, other, fileSpec{serial: "F9", code: lm, lines: []license.Line{count("USER", 5)}}), signing.ErrUnknownKey},
		{"does not stack", "USER is counted in F1; a version line of USER cannot stack with it",
			issue(t, key, fileSpec{serial: "F9", code: lm, lines: []license.Line{version("USER", 3)}}), license.ErrInvalid},
		{"older same serial", "a file older than the installed one of its serial does not replace it",
			issue(t, key, fileSpec{serial: "F1", code: lm, issued: t0.Add(-2 * time.Hour), lines: []license.Line{count("USER", 9)}}), nil},
		{"garbage", "bytes that are no license", []byte("hello"), license.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := testLMC(t, dir, StaticSource(sv8500A), clk)
			mustInstall(t, l, good)
			before := statuses(l)
			_, err := l.Install(tc.signed)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("%s: Install: %v, want %v", tc.why, err, tc.want)
			}
			if diff := cmp.Diff(before, statuses(l)); diff != "" {
				t.Errorf("a refused install changed the files (-before +after):\n%s", diff)
			}
			ents, _ := os.ReadDir(filepath.Join(dir, licenseDir))
			if len(ents) != 1 {
				t.Errorf("%d entries in the license directory, want 1", len(ents))
			}
			if n, _ := l.Count(bg, "USER"); n != 5 {
				t.Errorf("Count after a refused install = %d, want 5", n)
			}
		})
	}
}

func mustSign(t testing.TB, key *signing.PrivateKey, f *license.File) []byte {
	t.Helper()
	b, err := f.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLMCInstallReplaceAndArmor: the same bytes twice change nothing, a newer file of the same serial
// replaces it (its lines do not add to the old ones), and the armored form installs.
func TestLMCInstallReplaceAndArmor(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	f1 := issue(t, key, fileSpec{serial: "F1", code: lm, issued: t0.Add(-2 * time.Hour), lines: []license.Line{count("USER", 5)}})
	mustInstall(t, l, f1)
	mustInstall(t, l, f1)
	armored, err := license.Armor(issue(t, key, fileSpec{serial: "F1", code: lm, issued: t0.Add(-time.Hour), lines: []license.Line{count("USER", 8)}}))
	if err != nil {
		t.Fatal(err)
	}
	mustInstall(t, l, armored)
	if n, _ := l.Count(bg, "USER"); n != 8 {
		t.Fatalf("Count = %d, want 8 (the newer file replaces the older)", n)
	}
	if fs := l.Files(); len(fs) != 1 || fs[0].Serial != "F1" || fs[0].Status != FileActive {
		t.Fatalf("Files = %+v", fs)
	}
}

// TestLMCRemoveRevokes: removing a file revokes, newest first, the leases beyond the new count, and
// their holders learn it on the next renew.
func TestLMCRemoveRevokes(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F1", code: lm, lines: []license.Line{count("USER", 5)}}))
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F2", code: lm, lines: []license.Line{count("USER", 5)}}))
	var leases []*Lease
	for _, app := range []string{"MA4000", "BCT", "MA4000", "BCT"} {
		ls, err := l.Checkout(bg, app, "USER", 2)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, ls)
	}
	if err := l.Remove("F2"); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove("F2"); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("second remove: %v, want ErrNotInstalled", err)
	}
	want := []error{nil, nil, ErrLeaseRevoked, ErrLeaseRevoked}
	for i, ls := range leases {
		if err := ls.Renew(bg); !errors.Is(err, want[i]) || (err == nil) != (want[i] == nil) {
			t.Errorf("lease %d renew: %v, want %v", i, err, want[i])
		}
	}
	if u, _ := l.Usage(bg, "USER"); u.InUse != 4 || u.Count != 5 {
		t.Errorf("Usage = %+v", u)
	}
}

// TestLMCFixedTermExpiry: a temporary file adds seats until its end; at the end the leases beyond
// the permanent count are revoked on the next renew or checkout, with no Refresh call.
func TestLMCFixedTermExpiry(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	end := t0.Add(50 * time.Second) // within one lease TTL, so the leases live to see it
	mustInstall(t, l, issue(t, key, fileSpec{serial: "PERM", code: lm, lines: []license.Line{count("USER", 2)}}))
	mustInstall(t, l, issue(t, key, fileSpec{serial: "TEMP", code: lm, issued: t0.Add(-time.Hour), term: license.Temporary, notAfter: end,
		lines: []license.Line{count("USER", 3)}}))
	later := issue(t, key, fileSpec{serial: "NEXT", code: lm, issued: end, term: license.Temporary, notAfter: end.Add(time.Hour),
		lines: []license.Line{count("USER", 1)}})
	mustInstall(t, l, later) // pending: issued for when TEMP ends
	st, _ := l.Status(bg)
	if !st.Until.Equal(end) || st.Active != 2 {
		t.Fatalf("Status = %+v; want Until %v and 2 active", st, end)
	}
	a, _ := l.Checkout(bg, "MA4000", "USER", 2)
	b, _ := l.Checkout(bg, "BCT", "USER", 2)
	c, err := l.Checkout(bg, "BCT", "USER", 1)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(50*time.Second - time.Nanosecond)
	for _, ls := range []*Lease{a, b, c} {
		if err := ls.Renew(bg); err != nil {
			t.Fatalf("a nanosecond before the end: %v", err)
		}
	}
	clk.Advance(time.Nanosecond)
	// Now 2 permanent + 1 from NEXT = 3 seats. Newest first: c (1) goes, 4 out is still too many, so
	// b (2) goes too; a (2) stays.
	for i, want := range []error{nil, ErrLeaseRevoked, ErrLeaseRevoked} {
		if err := []*Lease{a, b, c}[i].Renew(bg); !errors.Is(err, want) || (err == nil) != (want == nil) {
			t.Errorf("lease %d at the end: %v, want %v", i, err, want)
		}
	}
	if n, _ := l.Count(bg, "USER"); n != 3 {
		t.Errorf("Count after TEMP ended = %d, want 3", n)
	}
	got := statuses(l)
	if diff := cmp.Diff(map[string]FileStatus{"PERM": FileActive, "TEMP": FileExpired, "NEXT": FileActive}, got); diff != "" {
		t.Errorf("file statuses (-want +got):\n%s", diff)
	}
}

// TestLMCHostChanged: the PBX's CPU is replaced: the source reports another code. Checkouts are
// refused with ErrHostChanged while the old files keep answering and old leases renew; installing a
// file for the new code ends it.
func TestLMCHostChanged(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	src := &fakeSource{code: sv8500A}
	dir := t.TempDir()
	l := testLMC(t, dir, src, clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "OLD", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))
	held, err := l.Checkout(bg, "MA4000", "USER", 1)
	if err != nil {
		t.Fatal(err)
	}
	src.set(sv8500B, nil)
	if err := l.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	_, err = l.Checkout(bg, "BCT", "USER", 1)
	if !errors.Is(err, ErrHostChanged) {
		t.Fatalf("checkout after the host changed: %v, want ErrHostChanged", err)
	}
	t.Logf("the error reads: %v", err)
	if has, _ := l.Has(bg, "USER"); !has {
		t.Error("Has stopped answering after the host changed")
	}
	if err := held.Renew(bg); err != nil {
		t.Errorf("a lease held before the change: %v", err)
	}
	st, _ := l.Status(bg)
	if !st.HostChanged || st.Code != lmcOf(t, sv8500B).String() || st.Bound != lmcOf(t, sv8500A).String() {
		t.Fatalf("Status = %+v", st)
	}
	// Across a restart with the PBX unreachable the LMC still knows both codes.
	src.set(keycode.Code{}, fmt.Errorf("%w: no route to PBX", ErrUnavailable))
	l2 := testLMC(t, dir, src, clk)
	if _, err := l2.Checkout(bg, "BCT", "USER", 1); !errors.Is(err, ErrHostChanged) {
		t.Fatalf("after a restart: %v, want ErrHostChanged", err)
	}
	// Files for the new code arrive.
	if _, err := l2.Install(issue(t, key, fileSpec{serial: "NEW", code: lmcOf(t, sv8500B), lines: []license.Line{count("USER", 4)}})); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Checkout(bg, "BCT", "USER", 4); err != nil {
		t.Fatalf("checkout with files for the new code: %v", err)
	}
	got := statuses(l2)
	if diff := cmp.Diff(map[string]FileStatus{"OLD": FileOtherHost, "NEW": FileActive}, got); diff != "" {
		t.Errorf("file statuses (-want +got):\n%s", diff)
	}
}

// TestLMCUnreachable: with the source down the LMC serves what it has, says so, and remembers its
// code across a restart.
func TestLMCUnreachable(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	src := &fakeSource{code: sv8500A}
	dir := t.TempDir()
	l := testLMC(t, dir, src, clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))
	down := fmt.Errorf("%w: PBX timed out", ErrUnavailable)
	src.set(keycode.Code{}, down)
	clk.Advance(time.Minute)
	if err := l.Refresh(bg); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Refresh: %v, want the source's error", err)
	}
	st, _ := l.Status(bg)
	if st.Reachable || st.SourceError != down.Error() || !st.LastContact.Equal(t0) || st.Code != lmcOf(t, sv8500A).String() {
		t.Fatalf("Status = %+v", st)
	}
	if _, err := l.Checkout(bg, "MA4000", "USER", 5); err != nil {
		t.Fatalf("checkout with the PBX down: %v", err)
	}
	l2 := testLMC(t, dir, src, clk)
	if n, _ := l2.Count(bg, "USER"); n != 5 {
		t.Fatalf("after a restart with the PBX down: Count = %d, want 5", n)
	}
	// A fresh LMC that never reached its PBX cannot install.
	l3 := testLMC(t, t.TempDir(), src, clk)
	if _, err := l3.Install(issue(t, key, fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}})); !errors.Is(err, ErrNoHostCode) {
		t.Fatalf("install with no code ever learned: %v, want ErrNoHostCode", err)
	}
}

// TestLMCInvalidFileOnDisk: a file in the directory that no longer verifies is kept out of the grant
// and listed as invalid; it can be removed.
func TestLMCInvalidFileOnDisk(t *testing.T) {
	clk := newFakeClock(t0)
	dir := t.TempDir()
	l := testLMC(t, dir, StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))
	if err := os.WriteFile(filepath.Join(dir, licenseDir, "BAD.lic"), []byte("not a license"), 0o600); err != nil {
		t.Fatal(err)
	}
	l2 := testLMC(t, dir, StaticSource(sv8500A), clk)
	if n, _ := l2.Count(bg, "USER"); n != 5 {
		t.Fatalf("Count = %d, want 5", n)
	}
	var bad *FileInfo
	for _, f := range l2.Files() {
		if f.Serial == "BAD" {
			bad = &f
		}
	}
	if bad == nil || bad.Status != FileInvalid || !errors.Is(bad.Err, signing.ErrMalformed) {
		t.Fatalf("BAD listed as %+v", bad)
	}
	if err := l2.Remove("BAD"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, licenseDir, "BAD.lic")); !os.IsNotExist(err) {
		t.Fatalf("BAD.lic still there: %v", err)
	}
}

// TestLMCConcurrent: many goroutines check out, renew and release while files are installed and
// removed and the clock moves; seats out never exceed the count, checked after every step.
func TestLMCConcurrent(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "BASE", code: lm, lines: []license.Line{count("USER", 4)}}))
	extra := issue(t, key, fileSpec{serial: "EXTRA", code: lm, lines: []license.Line{count("USER", 4)}})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []*Lease
			for i := range 300 {
				switch k := rng.IntN(100); {
				case k < 40:
					ls, err := l.Checkout(bg, fmt.Sprintf("app%d", w%3), "USER", 1+rng.IntN(2))
					if err == nil {
						mine = append(mine, ls)
					} else if !errors.Is(err, ErrNoSeats) {
						errs <- err
						return
					}
				case k < 60 && len(mine) > 0:
					if err := mine[rng.IntN(len(mine))].Renew(bg); err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
						errs <- err
						return
					}
				case k < 80 && len(mine) > 0:
					j := rng.IntN(len(mine))
					mine[j].Release(bg)
					mine = append(mine[:j], mine[j+1:]...)
				case k < 85:
					clk.Advance(time.Duration(rng.IntN(20)) * time.Second)
				case k < 92:
					l.Install(extra)
				default:
					l.Remove("EXTRA")
				}
				if err := l.seats.checkInvariant(); err != nil {
					errs <- fmt.Errorf("worker %d step %d: %v", w, i, err)
					return
				}
				if u, _ := l.Usage(bg, "USER"); u.InUse > u.Count {
					errs <- fmt.Errorf("worker %d step %d: %d of %d seats out", w, i, u.InUse, u.Count)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// statuses maps each installed file's serial to its status.
func statuses(l *LMC) map[string]FileStatus {
	m := map[string]FileStatus{}
	for _, f := range l.Files() {
		m[f.Serial] = f.Status
	}
	return m
}

// TestLMCOverSocketGroups: two groups of goroutines, each group on its own connection to a real LMC,
// check out, renew and release at random while files are installed and removed under them; the
// seats out never exceed the count, checked on the LMC after every step.
func TestLMCOverSocketGroups(t *testing.T) {
	clk := newFakeClock(t0)
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "BASE", code: lm, lines: []license.Line{count("USER", 3)}}))
	extra := issue(t, key, fileSpec{serial: "EXTRA", code: lm, lines: []license.Line{count("USER", 3)}})
	path, _ := startServer(t, l)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g, app := range []string{"MA4000", "BCT"} {
		c := dial(t, path)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), uint64(w)))
				var mine []*Lease
				for i := range 120 {
					switch k := rng.IntN(100); {
					case k < 45:
						ls, err := c.Checkout(bg, app, "USER", 1+rng.IntN(2))
						if err == nil {
							mine = append(mine, ls)
						} else if !errors.Is(err, ErrNoSeats) {
							errs <- fmt.Errorf("%s: checkout: %v", app, err)
							return
						}
					case k < 65 && len(mine) > 0:
						if err := mine[rng.IntN(len(mine))].Renew(bg); err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
							errs <- fmt.Errorf("%s: renew: %v", app, err)
							return
						}
					case k < 85 && len(mine) > 0:
						j := rng.IntN(len(mine))
						mine[j].Release(bg)
						mine = append(mine[:j], mine[j+1:]...)
					case k < 90:
						clk.Advance(time.Duration(rng.IntN(15)) * time.Second)
					case k < 95:
						l.Install(extra)
					default:
						l.Remove("EXTRA")
					}
					if err := l.seats.checkInvariant(); err != nil {
						errs <- fmt.Errorf("%s worker %d step %d: %v", app, w, i, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLMCRun: Run asks the source, and returns when its context ends.
func TestLMCRun(t *testing.T) {
	src := &fakeSource{code: sv8500A}
	l := testLMC(t, t.TempDir(), src, newFakeClock(t0))
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	// Wait until Run has asked the source once beyond Open's question, then stop it.
	for {
		src.mu.Lock()
		n := src.calls
		src.mu.Unlock()
		if n >= 2 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}
