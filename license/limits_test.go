package license

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// longestLine is line i with every field at its longest.
func longestLine(i int) Line {
	return Line{SKC: fmt.Sprintf("%032d", i), Part: fmt.Sprintf("%032d", i), Name: strings.Repeat("N", MaxNameLen), Kind: Flag, Qty: 1 << 30,
		PO: strings.Repeat("P", MaxOrderLen), SO: strings.Repeat("S", MaxOrderLen), Activated: time.Unix(maxUnix, 0)}
}

// TestFileLimits: the two caps FORMAT.md documents, MaxLines lines and MaxFileSize bytes signed,
// agree: the largest file by either measure signs and opens, and one line or one byte more is
// refused by Sign (ErrInvalid) and, signed by other means, by Open (ErrMalformed).
func TestFileLimits(t *testing.T) {
	kr := testKeyring(t)
	base := func(lines []Line) *File {
		return &File{Serial: "LIMITS", Issued: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Term: Permanent,
			Host: Host{System: devHostA.System, Code: devHostA.Code}, Lines: lines}
	}
	// signs checks that f signs and opens, and returns the size.
	signs := func(f *File) int {
		t.Helper()
		signed, err := f.Sign(testKey)
		if err != nil {
			t.Fatalf("Sign of %d lines: %v", len(f.Lines), err)
		}
		if _, err := Open(signed, kr); err != nil {
			t.Fatalf("Open of %d lines, %d bytes: %v", len(f.Lines), len(signed), err)
		}
		return len(signed)
	}
	// refused checks that Sign refuses f, and that Open refuses its payload signed by other means.
	// The signer that ignores the caps writes what Sign writes.
	if _, err := Open(signIgnoringCaps(t, appendPayload(nil, base([]Line{longestLine(0)}))), kr); err != nil {
		t.Fatalf("signIgnoringCaps of a small file does not open: %v", err)
	}
	refused := func(f *File, wantOpen error) {
		t.Helper()
		if b, err := f.Sign(testKey); !errors.Is(err, ErrInvalid) || b != nil {
			t.Fatalf("Sign of %d lines = %d bytes, %v; want ErrInvalid", len(f.Lines), len(b), err)
		}
		signed := signIgnoringCaps(t, appendPayload(nil, f))
		if _, err := Open(signed, kr); !errors.Is(err, wantOpen) {
			t.Fatalf("Open of %d lines, %d bytes = %v; want %v", len(f.Lines), len(signed), err, wantOpen)
		}
	}

	t.Run("lines", func(t *testing.T) {
		short := make([]Line, MaxLines+1)
		for i := range short {
			short[i] = Line{Part: fmt.Sprintf("P%05d", i), Kind: Flag, Qty: 1}
		}
		if n := signs(base(short[:MaxLines])); n > MaxFileSize {
			t.Fatalf("%d short lines take %d bytes", MaxLines, n)
		}
		refused(base(short), ErrMalformed)
	})

	t.Run("bytes", func(t *testing.T) {
		// The envelope adds a fixed number of bytes to a payload of this size (its byte string
		// head is 5 bytes from 64 KiB on).
		probe := base([]Line{longestLine(0)})
		for i := 1; i < 1000; i++ {
			probe.Lines = append(probe.Lines, longestLine(i))
		}
		probeSigned, err := probe.Sign(testKey)
		if err != nil {
			t.Fatal(err)
		}
		overhead := len(probeSigned) - len(appendPayload(nil, probe))
		signedSize := func(f *File) int { return len(appendPayload(nil, f)) + overhead }
		// As many longest lines as fit: every one takes the same bytes (the array's head is 3
		// bytes from 256 lines to 65535).
		empty := len(appendPayload(nil, base(nil)))
		lineSize := func(l Line) int { return len(appendPayload(nil, base([]Line{l}))) - empty }
		per := lineSize(longestLine(0))
		k := len(probe.Lines) + (MaxFileSize-len(probeSigned))/per
		lines := probe.Lines
		for i := len(lines); i < k; i++ {
			lines = append(lines, longestLine(i))
		}
		if signedSize(base(lines)) > MaxFileSize || signedSize(base(append(lines, longestLine(k)))) <= MaxFileSize {
			t.Fatalf("%d longest lines of %d bytes are not the most that fit", k, per)
		}
		if len(lines) != maxLongestLines {
			t.Errorf("%d longest lines fit; FORMAT.md and Sign's doc say %d", len(lines), maxLongestLines)
		}
		// Fill what is left to the byte with one more, shorter line: its fields are shortened
		// until the file is exactly MaxFileSize signed.
		rest := lines
		fixed := signedSize(base(append(rest[:len(rest):len(rest)], longestLine(len(rest))))) - lineSize(longestLine(len(rest)))
		want := MaxFileSize - fixed
		var last, more Line
		found := false
	search:
		for _, skc := range []int{MaxSKCLen, 0} {
			for _, so := range []int{MaxOrderLen, 0} {
				for po := MaxOrderLen; po >= 0; po-- {
					for name := MaxNameLen; name >= 0; name-- {
						l := longestLine(len(rest))
						l.SKC, l.SO = l.SKC[:skc], strings.Repeat("S", so)
						l.Name, l.PO = strings.Repeat("N", name), strings.Repeat("P", po)
						if lineSize(l) != want {
							continue
						}
						// And one byte more, for the file just over the cap.
						for _, m := range []Line{{Name: l.Name + "N", PO: l.PO}, {Name: l.Name, PO: l.PO + "P"}} {
							o := l
							o.Name, o.PO = m.Name, m.PO
							if len(o.Name) <= MaxNameLen && len(o.PO) <= MaxOrderLen && lineSize(o) == want+1 {
								last, more, found = l, o, true
								break search
							}
						}
					}
				}
			}
		}
		if !found {
			t.Fatalf("no line of %d bytes (and one of a byte more) found to fill the file", want)
		}
		best := base(append(rest[:len(rest):len(rest)], last))
		if size := signs(best); size != MaxFileSize {
			t.Fatalf("the largest file is %d bytes signed, want %d", size, MaxFileSize)
		}
		over := base(append(rest[:len(rest):len(rest)], more))
		if n := signedSize(over); n != MaxFileSize+1 {
			t.Fatalf("the file one byte over is %d bytes", n)
		}
		refused(over, ErrMalformed)
	})
}

// maxLongestLines is how many lines with every field at its longest fit in MaxFileSize, as
// FORMAT.md, MaxLines and File.Sign document.
const maxLongestLines = 2961

// signIgnoringCaps signs payload with testKey the way File.Sign does, but also when the message is
// over the caps (as a writer that ignores them would): the envelope of an empty payload, with this
// payload put in, and the Ed25519 signature over its Sig_structure.
func signIgnoringCaps(t *testing.T, payload []byte) []byte {
	t.Helper()
	probe, err := signing.Sign1(testKey, nil, &signing.Sign1Options{ContentType: ContentType})
	if err != nil {
		t.Fatal(err)
	}
	// probe: d2 84 | protected (a byte string) | a0 | 40 | 58 40 | 64-byte signature
	prot := probe[2 : len(probe)-1-1-2-ed25519.SignatureSize]
	tbs := append([]byte{0x84, 0x6a}, "Signature1"...)
	tbs = append(tbs, prot...)
	tbs = append(tbs, 0x40)
	tbs = appendHead(tbs, majBytes, uint64(len(payload)))
	tbs = append(tbs, payload...)
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize)), tbs)
	msg := append([]byte{0xd2, 0x84}, prot...)
	msg = append(msg, 0xa0)
	msg = appendHead(msg, majBytes, uint64(len(payload)))
	msg = append(msg, payload...)
	msg = append(msg, 0x58, 0x40)
	return append(msg, sig...)
}
