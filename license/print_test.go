package license

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// bytePatterns are the ways fmt prints the first bytes of b when it dumps them: as a decimal list
// (%v), as Go hex literals (%#v), and, with hex, as hex digits (%x, %X).
func bytePatterns(b []byte, hex bool) []string {
	n := min(len(b), 6)
	dec := strings.TrimSuffix(fmt.Sprint(b[:n]), "]")
	gox := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", b[:n]), "[]byte{"), "}")
	if !hex {
		return []string{dec, gox}
	}
	return []string{dec, gox, fmt.Sprintf("%x", b[:n]), fmt.Sprintf("%X", b[:n])}
}

// TestNoByteDumps: every license type that holds raw bytes (signed files, a secret, nonces, digits,
// a MAC) prints a summary with %v, %+v, %#v and %s, alone and inside a slice or a struct, never the
// bytes themselves.
func TestNoByteDumps(t *testing.T) {
	signed := devFile(t, devHostA, "DUMP-1", Demo, devT0, devT0.Add(day))
	f, err := Open(signed, devKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := devSecret
	tok := TimeToken{Serial: "TT-1", Code: devHostA.Code, Nonce: tokenNonce, Time: devT0, MaxSetBack: day}
	mac, _ := ParseMAC("6C:E4:DA:01:37:8C")
	act, err := ParseActivationCode(ActivationCode(signed))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, &memState{}, newDevClock(devT0))
	r.install(signed)
	host := Host{System: keycode.SV9500, Code: keycode.MustParse(keycode.SV9500, "35G00N360103F0S0007490B6E0yQ"),
		IP: netip.MustParseAddr("123.0.0.105"), MAC: mac}
	tests := []struct {
		name   string
		v      any
		hidden [][]byte // bytes that must not appear in any form
		text   []string // text that must not appear
		// canonical: the value's text form holds the bytes in hex by design (a challenge's nonce
		// is what the vendor answers); they must still never appear byte by byte.
		canonical bool
	}{
		{"InstalledFile", InstalledFile{File: f, Signed: signed, Status: FileActive}, [][]byte{signed}, nil, false},
		{"InstalledFile from Files", r.dev.Files()[0], [][]byte{signed}, nil, false},
		{"BXLicense", BXLicense{Signed: signed}, [][]byte{signed}, nil, false},
		{"BXBundle", BXBundle{Licenses: []BXLicense{{Signed: signed}}, Log: "log"}, [][]byte{signed}, nil, false},
		{"DeviceConfig", r.config(), [][]byte{secret}, []string{string(secret)}, false},
		{"Device", r.dev, [][]byte{signed, secret}, []string{string(secret)}, false},
		{"TimeToken", tok, [][]byte{tokenNonce[4:]}, nil, false},
		{"*TimeToken", &tok, [][]byte{tokenNonce[4:]}, nil, false},
		{"TimeChallenge", testChallenge(), [][]byte{tokenNonce[:]}, nil, true},
		{"MAC", mac, [][]byte{mac[:]}, nil, false},
		{"Host", host, [][]byte{mac[:], host.IP.AsSlice()}, nil, false},
		{"ActCode", act, [][]byte{act.d[:]}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var patterns []string
			for _, b := range tt.hidden {
				patterns = append(patterns, bytePatterns(b, !tt.canonical)...)
			}
			patterns = append(patterns, tt.text...)
			wrapped := []any{tt.v, []any{tt.v}, struct{ X any }{tt.v}}
			for _, v := range wrapped {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
					out := fmt.Sprintf(verb, v)
					for _, p := range patterns {
						if p != "" && strings.Contains(out, p) {
							t.Errorf("%s of %T prints the bytes (%q): %.200s", verb, v, p, out)
						}
					}
					if len(out) > 2000 {
						t.Errorf("%s of %T prints %d bytes: %.200s…", verb, v, len(out), out)
					}
				}
			}
		})
	}
	// The summaries say what the value is.
	for _, c := range []struct{ got, want string }{
		{fmt.Sprint(InstalledFile{File: f, Signed: signed, Status: FileActive}), `license.InstalledFile{"DUMP-1" demo 2026-04-01T08:00:00Z to 2026-04-02T08:00:00Z, 1 lines, active, ` + fmt.Sprint(len(signed)) + ` bytes signed}`},
		{fmt.Sprintf("%#v", mac), `license.MAC("6C:E4:DA:01:37:8C")`},
		{fmt.Sprint(host), `SV9500 "35G00N360103F0S0007490B6E0yQ" ip=123.0.0.105 mac=6C:E4:DA:01:37:8C`},
		{fmt.Sprint(tok), `license.TimeToken{"TT-1" for SV8100 "191000343919", time 2026-04-01T08:00:00Z, nonce 6C1A0203…, may set back 24h0m0s}`},
		{fmt.Sprintf("%#v", testChallenge()), `license.TimeChallenge("SV8100:191000343919:6C1A02030405060708090A0B0C0D0E0F")`},
		{fmt.Sprint(DeviceConfig{Host: devHostA, Secret: secret, RollbackTolerance: time.Hour}), `license.DeviceConfig{Host: SV8100 "191000343919", Secret: 42 bytes, Keyring: nil, State: nil, RollbackTolerance: 1h0m0s}`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

// TestChangeMessages: a change that time made says which file (or the trial), at which device time,
// and what the clock read; a refused install says which file and that the time is device time.
func TestChangeMessages(t *testing.T) {
	w := newSimWorld(t, simTrial)
	if err := w.dev.Install(devFile(t, devHostA, "DEMO-7", Demo, simT0, simT0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	w.changes = nil
	w.run(2*time.Hour, time.Minute, nil)
	var got []string
	for _, c := range w.changes {
		got = append(got, c.String())
	}
	want := []string{`expired "DEMO-7" at device time 2026-10-20T10:00:00Z (the clock reading 2026-10-20T10:00:00Z)`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	w.changes = nil
	w.run(simTrial.length(), time.Hour, nil)
	if len(w.changes) != 1 || !strings.HasPrefix(w.changes[0].String(), "trial expired at device time ") {
		t.Errorf("the trial's end: %v", w.changes)
	}
	err := w.dev.Install(devFile(t, devHostA, "DEMO-8", Demo, simT0, simT0.Add(time.Hour)))
	if want := `license: install demo file "DEMO-8": license: expired: it was valid until 2026-10-20T10:00:00Z, and device time is `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Install of an expired file = %v; want it to start %q", err, want)
	}
}
