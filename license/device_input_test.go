package license

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// Install takes a license file in every form a user holds it, recognised by content: the signed
// file, its armored text, the <HWKC>-svi.zip, and a BX/OVOC zip (from a redundant pair's, the file
// bound to this host). Before, the armored text failed with "not well-formed CBOR: 420 bytes of
// extraneous data".
func TestDeviceInstall_EveryFormAUserHolds(t *testing.T) {
	issued := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	signed := permanentFile(t, "F-SIGNED", issued)
	armored, err := Armor(permanentFile(t, "F-ARMOR", issued))
	if err != nil {
		t.Fatal(err)
	}
	_, svi, err := SVIZip(permanentFile(t, "F-SVI", issued))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, serial string
		data         []byte
	}{
		{"signed", "F-SIGNED", signed},
		{"armored", "F-ARMOR", armored},
		{"armored with a mail client's CRLF line ends", "F-ARMOR", []byte(strings.ReplaceAll(string(armored), "\n", "\r\n"))},
		{"svi zip", "F-SVI", svi},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, &memState{}, newDevClock(issued.Add(time.Hour)))
			r.install(c.data)
			if fs := r.dev.Files(); len(fs) != 1 || fs[0].File.Serial != c.serial {
				t.Fatalf("installed %v", fs)
			}
		})
	}

	// A redundant BX/OVOC pair: the device installs the file bound to it, whichever comes first.
	pk := func(s string) keycode.ProductKey {
		p, err := keycode.ParseProductKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	code := keycode.MustParse(keycode.BXOVOC, "358744541284567")
	mine := Host{System: keycode.BXOVOC, Code: code, ProductKey: pk("DT2729220")}
	other := Host{System: keycode.BXOVOC, Code: code, ProductKey: pk("DT2729221")}
	fMine := devFile(t, mine, "BX-1", Permanent, issued, time.Time{})
	fOther := devFile(t, other, "BX-2", Permanent, issued, time.Time{})
	for _, order := range [][2][]byte{{fMine, fOther}, {fOther, fMine}} {
		_, bx, err := BXZip(order[0], order[1])
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, &memState{}, newDevClock(issued.Add(time.Hour)))
		r.host = mine
		r.reopen()
		r.install(bx)
		if fs := r.dev.Files(); len(fs) != 1 || fs[0].File.Serial != "BX-1" {
			t.Fatalf("from the pair's zip installed %v", fs)
		}
		// A host that neither file names is refused, changing nothing.
		r.host = Host{System: keycode.BXOVOC, Code: code, ProductKey: pk("DT2729222")}
		r.state = &memState{}
		r.reopen()
		if err := r.dev.Install(bx); !errors.Is(err, ErrHostMismatch) || !strings.Contains(err.Error(), "none of the 2 files") {
			t.Fatalf("pair for another host: %v", err)
		}
		if len(r.dev.Files()) != 0 {
			t.Fatal("a refused install installed something")
		}
	}
}

// Anything else is a typed error that names what it saw, and installs nothing.
func TestDeviceInstall_OtherInputNamesItsForm(t *testing.T) {
	r := newRig(t, &memState{}, newDevClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)))
	for _, c := range []struct {
		name string
		data []byte
		saw  string
	}{
		{"empty", nil, "empty"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "PDF"},
		{"gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, "gzip"},
	} {
		err := r.dev.Install(c.data)
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrMalformed) || !strings.Contains(ie.Saw, c.saw) {
			t.Errorf("%s: %v (saw %q)", c.name, err, func() string {
				if ie != nil {
					return ie.Saw
				}
				return ""
			}())
		}
	}
	if len(r.dev.Files()) != 0 {
		t.Fatal("refused input installed something")
	}
}

// A location's <HWKC>-svi.zip holds its permanent file and its fixed-term files: Install installs
// them all with one state save, or none of them when one is refused.
func TestDeviceInstall_SVIZipOfSeveralFilesAllOrNone(t *testing.T) {
	issued := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	perm := permanentFile(t, "LOC.1", issued)
	fixed := devFile(t, devHostA, "LOC:S:20270301.1", Temporary, issued, issued.AddDate(1, 0, 0),
		Line{SKC: "TT19MXCH1TN7A43ML65B", Part: "BE107600", Kind: Count, Qty: 2})
	_, both, err := SVIZipFiles(perm, fixed)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, &memState{}, newDevClock(issued.Add(time.Hour)))
	r.install(both)
	if fs := r.dev.Files(); len(fs) != 2 {
		t.Fatalf("installed %d files, want both", len(fs))
	}
	if g := r.dev.Grant(); g.Count("BE107585") != 20 || g.Count("BE107600") != 2 {
		t.Fatalf("grant %v", g.Set())
	}

	// One file the device refuses (expired at device time): neither is installed.
	expired := devFile(t, devHostA, "LOC:S:20260302.1", Temporary, issued.Add(-48*time.Hour), issued.Add(-24*time.Hour),
		Line{SKC: "TT19MXCH1TN7A43ML65C", Part: "BE107601", Kind: Count, Qty: 2})
	_, mixed, err := SVIZipFiles(permanentFile(t, "LOC2.1", issued), expired)
	if err != nil {
		t.Fatal(err)
	}
	r2 := newRig(t, &memState{}, newDevClock(issued.Add(time.Hour)))
	if err := r2.dev.Install(mixed); !errors.Is(err, ErrExpired) {
		t.Fatalf("a zip with an expired file: %v", err)
	}
	if len(r2.dev.Files()) != 0 {
		t.Fatal("the permanent file was installed although its companion was refused")
	}
}
